import { Alert, Center, Loader, Stack, Text } from "@mantine/core";
import type { ReactNode } from "react";
import { ApiError } from "../api";

export function ErrorAlert({ error, title }: { error: Error; title?: string }) {
  const api = error instanceof ApiError ? error : null;
  return (
    <Alert color="red" title={title ?? "Request failed"} data-testid="error-alert">
      <Text size="sm">{error.message}</Text>
      {api && api.fieldViolations.length > 0 && (
        <Stack gap={2} mt="xs">
          {api.fieldViolations.map((v) => (
            <Text size="xs" key={v.field + v.description}>
              <b>{v.field}</b>: {v.description}
            </Text>
          ))}
        </Stack>
      )}
      {api?.requestId && (
        <Text size="xs" c="dimmed" mt={4}>
          request {api.requestId}
        </Text>
      )}
    </Alert>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <Center py="xl" data-testid="loading">
      <Loader size="sm" mr="sm" />
      <Text c="dimmed">{label}</Text>
    </Center>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" ta="center" py="xl" data-testid="empty">
      {children}
    </Text>
  );
}
