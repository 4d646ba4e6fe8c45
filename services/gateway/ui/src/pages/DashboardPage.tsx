import { Anchor, Badge, Card, Grid, Group, Stack, Table, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import { ApiError, api } from "../api";
import type { Ready } from "../api";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { formatDateTime, taskLabel } from "../format";
import { useApi } from "../useApi";

/** Backend health from /readyz; a 503 still carries the per-backend checks. */
async function loadStatus(signal: AbortSignal): Promise<Ready> {
  try {
    return await api.ready(signal);
  } catch (e) {
    if (e instanceof ApiError && e.status === 503) {
      const checks: Record<string, string> = {};
      for (const v of e.fieldViolations) checks[v.field] = v.description;
      return { status: "not_ready", checks };
    }
    throw e;
  }
}

function StatusCard() {
  const status = useApi(loadStatus, []);
  return (
    <Card withBorder data-testid="status-card">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Platform status</Text>
        {status.data && (
          <Badge color={status.data.status === "ready" ? "green" : "red"}>
            {status.data.status.replace("_", " ")}
          </Badge>
        )}
      </Group>
      {status.loading && !status.data && <Loading label="Checking services…" />}
      {status.error && <ErrorAlert error={status.error} />}
      {status.data && (
        <Stack gap={4}>
          {Object.entries(status.data.checks)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, state]) => (
              <Group key={name} justify="space-between" wrap="nowrap">
                <Text size="sm">{name}</Text>
                <Badge
                  size="sm"
                  variant="light"
                  color={state === "SERVING" || state === "ok" ? "green" : "red"}
                >
                  {state}
                </Badge>
              </Group>
            ))}
        </Stack>
      )}
    </Card>
  );
}

function StrategiesCard() {
  const list = useApi((signal) => api.listStrategies("", 5, signal), []);
  return (
    <Card withBorder data-testid="strategies-card">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>My latest strategies</Text>
        <Anchor component={Link} to="/strategies/new" size="sm">
          New strategy
        </Anchor>
      </Group>
      {list.loading && !list.data && <Loading label="Loading strategies…" />}
      {list.error && <ErrorAlert error={list.error} />}
      {list.data && list.data.strategies.length === 0 && (
        <Empty>
          No strategies yet. <Anchor component={Link} to="/strategies/new">Create one</Anchor>.
        </Empty>
      )}
      {list.data && list.data.strategies.length > 0 && (
        <Table.ScrollContainer minWidth={420}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Task</Table.Th>
                <Table.Th>Agent</Table.Th>
                <Table.Th>Updated</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.strategies.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/strategies/${s.id}`}>
                      {s.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{taskLabel(s.task)}</Table.Td>
                  <Table.Td>{s.agent}</Table.Td>
                  <Table.Td>{formatDateTime(s.updated_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

function DatasetsCard() {
  const list = useApi((signal) => api.listDatasets("", 500, signal), []);
  const datasets = list.data?.datasets ?? [];
  const byTask = new Map<string, number>();
  for (const d of datasets) for (const t of d.tasks) byTask.set(t, (byTask.get(t) ?? 0) + 1);
  return (
    <Card withBorder data-testid="datasets-card">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Datasets</Text>
        <Anchor component={Link} to="/datasets" size="sm">
          Browse
        </Anchor>
      </Group>
      {list.loading && !list.data && <Loading label="Loading datasets…" />}
      {list.error && <ErrorAlert error={list.error} />}
      {list.data && (
        <Stack gap={4}>
          <Text size="xl" fw={700}>
            {datasets.length}
            {list.data.next_page_token ? "+" : ""}
          </Text>
          {[...byTask.entries()].map(([task, n]) => (
            <Group key={task} justify="space-between">
              <Text size="sm">{taskLabel(task)}</Text>
              <Text size="sm">{n}</Text>
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  );
}

export default function DashboardPage() {
  return (
    <Stack data-testid="dashboard">
      <Title order={2}>Dashboard</Title>
      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <StrategiesCard />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6, md: 3 }}>
          <DatasetsCard />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6, md: 3 }}>
          <StatusCard />
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
