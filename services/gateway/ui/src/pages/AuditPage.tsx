import { Alert, Button, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { audit } from "../alerts";
import type { AuditFilters } from "../alerts";
import { downloadWithToken } from "../api";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { formatDateTime } from "../format";
import { useApi } from "../useApi";

const NO_FILTERS: AuditFilters = { actor_id: "", resource: "", action: "", outcome: "" };

function ChainStatus() {
  const check = useApi((s) => audit.verify(s), []);
  if (check.error) return <ErrorAlert error={check.error} title="Chain not verified" />;
  if (!check.data) return <Loading label="Verifying the hash chain…" />;
  const { verified, rows, broken_at } = check.data;
  return (
    <Alert
      color={verified ? "green" : "red"}
      title={verified ? "Hash chain verified" : "Hash chain broken"}
      data-testid="audit-verify"
    >
      {verified
        ? `${rows} rows, every hash matches its row and predecessor.`
        : `First mismatching row: ${broken_at ?? "?"} (of ${rows}).`}
    </Alert>
  );
}

/** The action audit (risk officers, admins): every mutating call, denial and failed login. */
export default function AuditPage() {
  const [draft, setDraft] = useState<AuditFilters>(NO_FILTERS);
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const [error, setError] = useState<Error | null>(null);
  const list = useApi((s) => audit.search(filters, s), [JSON.stringify(filters)]);
  const set = (patch: Partial<AuditFilters>) => setDraft((d) => ({ ...d, ...patch }));
  const exportCsv = () => {
    const q = new URLSearchParams({ page_size: "1000", format: "csv" });
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    downloadWithToken(`/api/v1/audit/actions?${q.toString()}`, "audit.csv").catch((e: unknown) =>
      setError(e instanceof Error ? e : new Error(String(e))),
    );
  };
  return (
    <Stack data-testid="audit-page">
      <Title order={3}>Action audit</Title>
      <ChainStatus />
      <Group align="flex-end">
        <TextInput label="Actor id" value={draft.actor_id} onChange={(e) => set({ actor_id: e.currentTarget.value })} />
        <TextInput label="Resource" value={draft.resource} onChange={(e) => set({ resource: e.currentTarget.value })} />
        <TextInput label="Action" value={draft.action} onChange={(e) => set({ action: e.currentTarget.value })} />
        <Select
          label="Outcome"
          data={["", "ok", "rejected", "denied", "not_found", "unauthenticated", "error"].map((v) => ({ value: v, label: v || "any" }))}
          value={draft.outcome}
          onChange={(v) => set({ outcome: v ?? "" })}
          allowDeselect={false}
        />
        <Button onClick={() => setFilters(draft)}>Search</Button>
        <Button variant="default" onClick={exportCsv}>
          Export CSV
        </Button>
      </Group>
      {error && <ErrorAlert error={error} />}
      {list.error && <ErrorAlert error={list.error} />}
      {list.loading && !list.data && <Loading label="Loading the audit…" />}
      {list.data && list.data.entries.length === 0 && <Empty>No audited calls match.</Empty>}
      {list.data && list.data.entries.length > 0 && (
        <Table data-testid="audit-actions" fz="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>#</Table.Th>
              <Table.Th>At</Table.Th>
              <Table.Th>Actor</Table.Th>
              <Table.Th>Call</Table.Th>
              <Table.Th>Resource / action</Table.Th>
              <Table.Th>Outcome</Table.Th>
              <Table.Th>From</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.entries.map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td>{e.id}</Table.Td>
                <Table.Td>{formatDateTime(e.at)}</Table.Td>
                <Table.Td>
                  {e.actor_id || "—"}
                  <Text size="xs" c="dimmed">
                    {e.actor_kind} {e.roles.join(" ")}
                  </Text>
                </Table.Td>
                <Table.Td>{e.route || `${e.method} (unmatched)`}</Table.Td>
                <Table.Td>
                  {e.resource} {e.action}
                </Table.Td>
                <Table.Td>
                  {e.outcome} ({e.status})
                </Table.Td>
                <Table.Td>{e.client_addr}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
