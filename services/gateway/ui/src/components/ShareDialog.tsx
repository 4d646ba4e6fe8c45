import { Button, Group, Modal, Stack, Table, Text, TextInput } from "@mantine/core";
import { useEffect, useState } from "react";
import type { FormEvent } from "react";
import { api } from "../api";
import type { Strategy, StrategyShare } from "../api";
import { formatDateTime } from "../format";
import { ErrorAlert, Loading } from "./Feedback";

/** Share a strategy read-only with users by username; list and withdraw its shares. */
export function ShareDialog({ strategy, onClose }: { strategy: Strategy; onClose: () => void }) {
  const [shares, setShares] = useState<StrategyShare[] | null>(null);
  const [username, setUsername] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    api
      .listShares(strategy.id, controller.signal)
      .then((page) => setShares(page.shares))
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      });
    return () => controller.abort();
  }, [strategy.id]);

  async function share(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.shareStrategy(strategy.id, username.trim());
      setShares((old) => [...(old ?? []).filter((s) => s.user_id !== created.user_id), created]);
      setUsername("");
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  async function unshare(s: StrategyShare) {
    setError(null);
    try {
      await api.unshareStrategy(strategy.id, s.user_id);
      setShares((old) => (old ?? []).filter((r) => r.user_id !== s.user_id));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  return (
    <Modal opened onClose={onClose} title={`Share "${strategy.name}"`} size="lg" centered>
      <Stack data-testid="share-dialog">
        <Text size="sm" c="dimmed">
          Users you share with can see this strategy and its config, but not change or delete it.
        </Text>
        <form onSubmit={share}>
          <Group align="flex-end">
            <TextInput
              label="Username"
              value={username}
              onChange={(e) => setUsername(e.currentTarget.value)}
              maxLength={64}
              required
              style={{ flex: 1 }}
              data-testid="share-username"
            />
            <Button type="submit" loading={busy} disabled={!username.trim()}>
              Share
            </Button>
          </Group>
        </form>
        {error && <ErrorAlert error={error} />}
        {shares === null && !error && <Loading label="Loading shares…" />}
        {shares !== null && shares.length === 0 && (
          <Text size="sm">Not shared with anyone.</Text>
        )}
        {shares !== null && shares.length > 0 && (
          <Table data-testid="shares-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>User</Table.Th>
                <Table.Th>Shared</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shares.map((s) => (
                <Table.Tr key={s.user_id}>
                  <Table.Td>{s.username || s.user_id}</Table.Td>
                  <Table.Td>{formatDateTime(s.created_at)}</Table.Td>
                  <Table.Td ta="right">
                    <Button size="xs" variant="subtle" color="red" onClick={() => unshare(s)}>
                      Remove
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Modal>
  );
}
