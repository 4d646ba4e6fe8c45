import {
  Anchor,
  Badge,
  Button,
  Group,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Title,
} from "@mantine/core";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { api } from "../api";
import type { Strategy } from "../api";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { ShareDialog } from "../components/ShareDialog";
import { formatDateTime, taskLabel } from "../format";

const PAGE_SIZE = 25;
type View = "mine" | "shared";

export default function StrategiesPage() {
  const [view, setView] = useState<View>("mine");
  const [sharing, setSharing] = useState<Strategy | null>(null);
  const [rows, setRows] = useState<Strategy[]>([]);
  const [nextToken, setNextToken] = useState("");
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | null>(null);
  const [loaded, setLoaded] = useState(false);

  async function load(token: string, replace: boolean) {
    setLoading(true);
    setError(null);
    try {
      const page = await api.listStrategies(token, PAGE_SIZE, undefined, view === "shared");
      setRows((old) => (replace ? page.strategies : [...old, ...page.strategies]));
      setNextToken(page.next_page_token);
      setLoaded(true);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    setRows([]);
    setLoaded(false);
    void load("", true);
  }, [view]);

  async function remove(s: Strategy) {
    if (!window.confirm(`Delete strategy "${s.name}"?`)) return;
    try {
      await api.deleteStrategy(s.id, s.etag);
      setRows((old) => old.filter((r) => r.id !== s.id));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  return (
    <Stack data-testid="strategies-page">
      <Group justify="space-between">
        <Title order={2}>Strategies</Title>
        <Button component={Link} to="/strategies/new">
          New strategy
        </Button>
      </Group>
      <SegmentedControl
        value={view}
        onChange={(v) => setView(v as View)}
        data={[
          { value: "mine", label: "Mine" },
          { value: "shared", label: "Shared with me" },
        ]}
        style={{ alignSelf: "flex-start" }}
        data-testid="strategies-view"
      />
      {error && <ErrorAlert error={error} />}
      {loaded && rows.length === 0 && view === "mine" && (
        <Empty>You have no strategies yet. Create one to pick a task, agent and dataset.</Empty>
      )}
      {loaded && rows.length === 0 && view === "shared" && (
        <Empty>Nobody has shared a strategy with you yet.</Empty>
      )}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table striped highlightOnHover data-testid="strategies-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Task</Table.Th>
                <Table.Th>Agent</Table.Th>
                <Table.Th>Dataset</Table.Th>
                <Table.Th ta="right">Version</Table.Th>
                <Table.Th>Updated</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/strategies/${s.id}`}>
                      {s.name}
                    </Anchor>
                    {s.description && (
                      <Text size="xs" c="dimmed" lineClamp={1}>
                        {s.description}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{taskLabel(s.task)}</Table.Td>
                  <Table.Td>{s.agent}</Table.Td>
                  <Table.Td>{s.dataset_id || "—"}</Table.Td>
                  <Table.Td ta="right">{s.version}</Table.Td>
                  <Table.Td>{formatDateTime(s.updated_at)}</Table.Td>
                  <Table.Td>
                    {view === "mine" ? (
                      <Group gap={4} wrap="nowrap">
                        <Button size="xs" variant="subtle" onClick={() => setSharing(s)}>
                          Share
                        </Button>
                        <Button size="xs" variant="subtle" color="red" onClick={() => remove(s)}>
                          Delete
                        </Button>
                      </Group>
                    ) : (
                      <Badge variant="light" color="gray" title={`owner ${s.owner_id}`}>
                        read-only
                      </Badge>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {loading && <Loading label="Loading strategies…" />}
      {sharing && (
        <ShareDialog
          kind="strategies"
          id={sharing.id}
          name={sharing.name}
          onClose={() => setSharing(null)}
        />
      )}
      {nextToken && !loading && (
        <Button variant="default" onClick={() => load(nextToken, false)}>
          Load more
        </Button>
      )}
    </Stack>
  );
}
