import {
  Anchor,
  Badge,
  Card,
  Grid,
  Group,
  Progress,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from "@mantine/core";
import { useEffect } from "react";
import { Link } from "react-router";
import { ApiError, api } from "../api";
import type { Ready } from "../api";
import { backtestSource } from "../components/BacktestsTable";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { useStrategyNames } from "../components/JobsTable";
import { StateBadge } from "../components/StateBadge";
import { formatCount, formatDateTime, formatNumber, taskLabel } from "../format";
import { isFinal } from "../jobs";
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

const REFRESH_MS = 5000;

/** Reloads every REFRESH_MS while `active` (something is still queued or running). */
function useRefreshWhile(active: boolean, reload: () => void): void {
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [active, reload]);
}

function JobsCard() {
  const list = useApi((signal) => api.listJobs({ page_size: 6 }, signal), []);
  const names = useStrategyNames();
  const jobs = list.data?.jobs ?? [];
  useRefreshWhile(
    jobs.some((j) => !isFinal(j.state)),
    list.reload,
  );
  return (
    <Card withBorder data-testid="jobs-card">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Training jobs</Text>
        <Anchor component={Link} to="/jobs" size="sm">
          All jobs
        </Anchor>
      </Group>
      {list.loading && !list.data && <Loading label="Loading jobs…" />}
      {list.error && <ErrorAlert error={list.error} />}
      {list.data && jobs.length === 0 && <Empty>No training jobs yet.</Empty>}
      {jobs.length > 0 && (
        <Stack gap="xs">
          {jobs.map((j) => (
            <div key={j.id}>
              <Group justify="space-between" wrap="nowrap">
                <Anchor component={Link} to={`/jobs/${j.id}`} size="sm" truncate>
                  {names.get(j.strategy_id) ?? j.strategy_id.slice(0, 8)} · {j.id.slice(0, 8)}
                </Anchor>
                <StateBadge state={j.state} />
              </Group>
              {!isFinal(j.state) && (
                <Group gap="xs" wrap="nowrap">
                  <Progress value={j.progress.fraction * 100} size="sm" style={{ flex: 1 }} />
                  <Text size="xs" c="dimmed">
                    {formatCount(j.progress.step)} / {formatCount(j.progress.total_steps)}
                  </Text>
                </Group>
              )}
            </div>
          ))}
        </Stack>
      )}
    </Card>
  );
}

function BacktestsCard() {
  const list = useApi((signal) => api.listBacktests({ page_size: 6 }, signal), []);
  const rows = list.data?.backtests ?? [];
  useRefreshWhile(
    rows.some((b) => !isFinal(b.state)),
    list.reload,
  );
  return (
    <Card withBorder data-testid="backtests-card">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Recent backtests</Text>
        <Anchor component={Link} to="/backtests" size="sm">
          New backtest
        </Anchor>
      </Group>
      {list.loading && !list.data && <Loading label="Loading backtests…" />}
      {list.error && <ErrorAlert error={list.error} />}
      {list.data && rows.length === 0 && <Empty>No backtests yet.</Empty>}
      {rows.length > 0 && (
        <Stack gap={6}>
          {rows.map((b) => (
            <Group key={b.id} justify="space-between" wrap="nowrap">
              <Anchor component={Link} to={`/backtests/${b.id}`} size="sm" truncate>
                {backtestSource(b)} · {String(b.spec.datasetId ?? "")}
              </Anchor>
              <Group gap="xs" wrap="nowrap">
                {b.summary_metrics.total_return !== undefined && (
                  <Text size="xs" c="dimmed">
                    {formatNumber(b.summary_metrics.total_return * 100, 3)}%
                  </Text>
                )}
                <StateBadge state={b.state} />
              </Group>
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="lg" fw={700} data-testid={testId}>
        {value}
      </Text>
    </div>
  );
}

function ClusterCard() {
  const cluster = useApi((signal) => api.cluster(signal), []);
  const c = cluster.data;
  useRefreshWhile(true, cluster.reload);
  return (
    <Card withBorder data-testid="cluster-card">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Training cluster</Text>
        {c && (
          <Badge color={c.cluster_reachable ? "green" : "red"}>
            {c.cluster_reachable ? "reachable" : "unreachable"}
          </Badge>
        )}
      </Group>
      {cluster.loading && !c && <Loading label="Asking the trainer…" />}
      {cluster.error && <ErrorAlert error={cluster.error} />}
      {c && (
        <SimpleGrid cols={2} spacing="xs">
          <Stat
            label="CPUs available"
            value={`${formatNumber(c.cpus_available)} / ${formatNumber(c.cpus_total)}`}
            testId="cluster-cpus"
          />
          <Stat
            label="GPUs available"
            value={`${formatNumber(c.gpus_available)} / ${formatNumber(c.gpus_total)}`}
            testId="cluster-gpus"
          />
          <Stat label="Queued jobs" value={String(c.queued_jobs)} testId="cluster-queued" />
          <Stat label="Running jobs" value={String(c.running_jobs)} testId="cluster-running" />
        </SimpleGrid>
      )}
      {c && c.users.length > 0 && (
        <Table mt="sm" data-testid="cluster-users">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>User</Table.Th>
              <Table.Th>Running</Table.Th>
              <Table.Th>Queued</Table.Th>
              <Table.Th>CPUs</Table.Th>
              <Table.Th>GPUs</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {c.users.map((u) => (
              <Table.Tr key={u.owner_id}>
                <Table.Td>{u.owner_id}</Table.Td>
                <Table.Td>{u.running_jobs}</Table.Td>
                <Table.Td>{u.queued_jobs}</Table.Td>
                <Table.Td>{formatNumber(u.cpus_in_use)}</Table.Td>
                <Table.Td>{formatNumber(u.gpus_in_use)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
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
        <Grid.Col span={{ base: 12, md: 5 }}>
          <JobsCard />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <BacktestsCard />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 3 }}>
          <ClusterCard />
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
