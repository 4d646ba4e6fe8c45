import { Anchor, Badge, Button, Group, Stack, Table, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { ViewToggle } from "../components/ShareControls";
import type { ListView } from "../components/ShareControls";
import { formatDateTime, newRequestId } from "../format";
import { registry } from "../registry";
import { useApi } from "../useApi";

/** Registered models: list with aliases, and a form to register a new one. */
export default function ModelsPage() {
  const [view, setView] = useState<ListView>("mine");
  const list = useApi((signal) => registry.listModels(signal, view === "shared"), [view]);
  const [name, setName] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const rows = list.data?.models ?? [];

  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      await registry.createModel(name.trim(), "", newRequestId());
      setName("");
      list.reload();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack data-testid="models-page">
      <Title order={2}>Model registry</Title>
      <Group align="end">
        <TextInput
          label="New model"
          placeholder="btc-dqn"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          data-testid="model-name"
        />
        <Button onClick={create} loading={busy} disabled={!name.trim()} data-testid="create-model">
          Register model
        </Button>
      </Group>
      {error && <ErrorAlert error={error} title="Could not register the model" />}
      <ViewToggle value={view} onChange={setView} testId="models-view" />
      {list.error && <ErrorAlert error={list.error} />}
      {list.loading && !list.data && <Loading label="Loading models…" />}
      {list.data && rows.length === 0 && (
        <Empty>
          {view === "mine"
            ? "No registered models yet."
            : "Nobody has shared a registered model with you yet."}
        </Empty>
      )}
      {rows.length > 0 && (
        <Table striped highlightOnHover data-testid="models-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Model</Table.Th>
              <Table.Th ta="right">Versions</Table.Th>
              <Table.Th>Aliases</Table.Th>
              <Table.Th>Updated</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((m) => (
              <Table.Tr key={m.id} data-testid="model-row">
                <Table.Td>
                  <Anchor component={Link} to={`/models/${m.id}`}>
                    {m.name}
                  </Anchor>
                </Table.Td>
                <Table.Td ta="right">{m.latest_version}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {Object.entries(m.aliases).map(([alias, v]) => (
                      <Badge key={alias} variant="light">
                        {alias} → v{v}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>{formatDateTime(m.update_time)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
