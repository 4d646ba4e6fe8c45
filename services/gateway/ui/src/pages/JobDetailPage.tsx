import {
  Alert,
  Anchor,
  Badge,
  Button,
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
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { api } from "../api";
import type { MetricPoint, TrainingJob } from "../api";
import { ErrorAlert, Loading } from "../components/Feedback";
import { LineChart, seriesColor } from "../components/LineChart";
import type { ChartSeries } from "../components/LineChart";
import { ShareControls, useMayChange } from "../components/ShareControls";
import { StateBadge } from "../components/StateBadge";
import { useEventStream } from "../events";
import { useApi } from "../useApi";
import type { PlatformEvent, StreamStatus } from "../events";
import { formatCount, formatDateTime, formatNumber, formatPercent } from "../format";
import {
  RETURN_METRIC,
  isFinal,
  isLossMetric,
  mergePoints,
} from "../jobs";
import type { JobAction, MetricHistory } from "../jobs";

const METRICS_PAGE = 5000;
/** Sampled by the job runner beside each progress row (cpu_percent, rss_mib, gpu_* with a GPU). */
const RESOURCE_PREFIX = "resources/";

function Fact({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={500} data-testid={testId}>
        {value}
      </Text>
    </div>
  );
}

function StreamBadge({ status }: { status: StreamStatus }) {
  const color = status === "live" ? "green" : status === "closed" ? "gray" : "yellow";
  return (
    <Badge color={color} variant="dot" data-testid="stream-status">
      {status}
    </Badge>
  );
}

/** All recorded points from `startStep` on, following page tokens. */
async function loadMetrics(jobId: string, startStep: number): Promise<MetricPoint[]> {
  const points: MetricPoint[] = [];
  let token = "";
  do {
    const page = await api.jobMetrics(jobId, {
      start_step: startStep,
      page_size: METRICS_PAGE,
      page_token: token,
    });
    points.push(...page.metrics);
    token = page.next_page_token;
  } while (token);
  return points;
}

function toSeries(history: MetricHistory, names: string[]): ChartSeries[] {
  return names.map((name, i) => ({
    label: name.replace(/^[a-z]+\//, ""),
    color: seriesColor(i),
    points: [...(history.get(name) ?? new Map<number, number>()).entries()].map(([x, y]) => ({
      x,
      y,
    })),
  }));
}

function lastStep(history: MetricHistory): number {
  let step = 0;
  for (const steps of history.values()) for (const s of steps.keys()) step = Math.max(step, s);
  return step;
}

const ACTION_LABELS: Record<JobAction, string> = {
  pause: "Pause",
  resume: "Resume",
  cancel: "Cancel",
};

export default function JobDetailPage() {
  const { id = "" } = useParams();
  const topic = `training_job/${id}`;
  const [job, setJob] = useState<TrainingJob | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [history, setHistory] = useState<MetricHistory>(() => new Map());
  const [actionError, setActionError] = useState<Error | null>(null);
  const [busy, setBusy] = useState<JobAction | null>(null);
  const [pauseRequested, setPauseRequested] = useState(false);
  const historyRef = useRef(history);
  historyRef.current = history;
  const mayChange = useMayChange(job?.owner_id);
  // The job names its strategy by id; show the strategy's name (the id when it is gone).
  const strategyId = job?.strategy_id ?? "";
  const strategy = useApi(
    (signal) => (strategyId ? api.getStrategy(strategyId, signal) : Promise.resolve(null)),
    [strategyId],
  );

  const reloadJob = useCallback(async () => {
    try {
      setJob(await api.getJob(id));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, [id]);

  const reloadHistory = useCallback(async () => {
    try {
      const points = await loadMetrics(id, lastStep(historyRef.current));
      setHistory((h) => mergePoints(h, points));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, [id]);

  useEffect(() => {
    setJob(null);
    setHistory(new Map());
    historyRef.current = new Map();
    void reloadJob();
    void reloadHistory();
  }, [reloadJob, reloadHistory]);

  const onEvent = useCallback(
    (event: PlatformEvent) => {
      const p = event.payload;
      if (event.type === "training_progress") {
        const step = Number(p.step ?? 0);
        const metrics = (p.metrics ?? {}) as Record<string, number>;
        setHistory((h) =>
          mergePoints(
            h,
            Object.entries(metrics).map(([name, value]) => ({
              name,
              step,
              value: Number(value),
              time: event.time,
            })),
          ),
        );
        setJob((j) =>
          j && !isFinal(j.state) && step >= j.progress.step
            ? {
                ...j,
                progress: {
                  step,
                  total_steps: Number(p.total_steps ?? j.progress.total_steps),
                  fraction: Number(p.fraction ?? j.progress.fraction),
                  episodic_return: metrics[RETURN_METRIC] ?? j.progress.episodic_return,
                  sps: metrics["charts/SPS"] ?? j.progress.sps,
                },
              }
            : j,
        );
      } else if (event.type === "job_state_changed" || event.type === "training_finished") {
        const state = String(p.new_state ?? p.state ?? "");
        // The trainer publishes a state only after storing it, so one re-read shows it (or a
        // later state) together with the controls that state allows.
        if (state) {
          setJob((j) => (j ? { ...j, state: state as TrainingJob["state"] } : j));
          setPauseRequested(false);
        }
        void reloadJob();
      } else if (event.type === "checkpoint_saved") {
        const uri = String(p.checkpoint_uri ?? "");
        setJob((j) => (j && uri ? { ...j, checkpoint_uri: uri } : j));
      }
    },
    [reloadJob],
  );

  // After every (re)subscription: catch up on what happened while not subscribed.
  const onLive = useCallback(() => {
    void reloadJob();
    void reloadHistory();
  }, [reloadJob, reloadHistory]);

  const status = useEventStream([topic], onEvent, onLive);

  const names = useMemo(() => [...history.keys()].sort(), [history]);
  const returnSeries = useMemo(() => toSeries(history, [RETURN_METRIC]), [history]);
  const lossSeries = useMemo(
    () => toSeries(history, names.filter(isLossMetric)),
    [history, names],
  );
  const resourceSeries = useMemo(
    () => toSeries(history, names.filter((n) => n.startsWith(RESOURCE_PREFIX))),
    [history, names],
  );

  async function control(action: JobAction) {
    setBusy(action);
    setActionError(null);
    try {
      const updated = await api.controlJob(id, action);
      setJob(updated);
      setPauseRequested(action === "pause" && updated.state === "RUNNING");
    } catch (e) {
      setActionError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(null);
    }
  }

  if (!job) {
    return (
      <Stack data-testid="job-detail">
        <Anchor component={Link} to="/jobs" size="sm">
          ← Training jobs
        </Anchor>
        {error ? <ErrorAlert error={error} /> : <Loading label="Loading job…" />}
      </Stack>
    );
  }
  const allowed = job.allowed_actions;
  const finalMetrics = Object.entries(job.final_metrics).sort(([a], [b]) => a.localeCompare(b));
  return (
    <Stack data-testid="job-detail">
      <Anchor component={Link} to="/jobs" size="sm">
        ← Training jobs
      </Anchor>
      <Group justify="space-between" align="center">
        <Group gap="sm">
          <Title order={2}>Job {job.id.slice(0, 8)}</Title>
          <StateBadge state={job.state} testId="job-state" />
          <StreamBadge status={status} />
        </Group>
        <Group gap="xs">
          <ShareControls
            kind="training-jobs"
            id={job.id}
            name={`Job ${job.id.slice(0, 8)}`}
            ownerId={job.owner_id}
          />
          {(mayChange ? (["pause", "resume", "cancel"] as JobAction[]) : []).map((action) => (
            <Button
              key={action}
              variant={action === "cancel" ? "light" : "default"}
              color={action === "cancel" ? "red" : undefined}
              disabled={
                !allowed.includes(action) ||
                busy !== null ||
                (action === "pause" && pauseRequested)
              }
              loading={busy === action}
              onClick={() => void control(action)}
            >
              {ACTION_LABELS[action]}
            </Button>
          ))}
          {job.state === "SUCCEEDED" && (
            <Button component={Link} to={`/backtests?training_job_id=${job.id}`}>
              Backtest this model
            </Button>
          )}
        </Group>
      </Group>
      {error && <ErrorAlert error={error} />}
      {actionError && <ErrorAlert error={actionError} title="Not done" />}
      {pauseRequested && (
        <Alert color="yellow" data-testid="pause-requested">
          Pause requested: the job checkpoints at its next iteration and then shows PAUSED.
        </Alert>
      )}
      {job.state === "QUEUED" && job.queue_position > 0 && (
        <Alert color="blue" title={`Queued: #${job.queue_position}`} data-testid="queue-position">
          {job.wait_reason || "waiting for the scheduler"}
          {job.priority !== 0 ? ` · priority ${job.priority}` : ""}
        </Alert>
      )}
      {job.state === "FAILED" && (
        <Alert color="red" title="Training failed" data-testid="failure-reason">
          {job.failure_reason || "no reason recorded"}
        </Alert>
      )}
      <Card withBorder>
        <Group justify="space-between" mb={4}>
          <Text size="sm" fw={500} data-testid="job-progress-text">
            {formatCount(job.progress.step)} / {formatCount(job.progress.total_steps)} steps
          </Text>
          <Text size="sm" c="dimmed">
            {formatPercent(job.progress.fraction)}
            {job.progress.sps > 0 ? ` · ${formatNumber(job.progress.sps, 3)} steps/s` : ""}
          </Text>
        </Group>
        <Progress
          value={job.progress.fraction * 100}
          size="lg"
          animated={job.state === "RUNNING"}
          data-testid="job-progress"
          aria-label="Training progress"
        />
        <SimpleGrid cols={{ base: 2, sm: 3, md: 6 }} mt="md">
          <Fact
            label="Strategy"
            value={`${strategy.data?.name || job.strategy_id.slice(0, 8)} v${job.strategy_version}`}
            testId="job-strategy"
          />
          <Fact label="Device" value={job.device || "—"} />
          <Fact
            label="Time limit"
            value={job.time_limit_seconds > 0 ? `${formatNumber(job.time_limit_seconds)} s` : "none"}
          />
          <Fact label="Seed" value={job.run_record ? String(job.run_record.seed) : "—"} />
          <Fact label="Created" value={formatDateTime(job.created_at)} />
          <Fact label="Started" value={formatDateTime(job.started_at)} />
          <Fact label="Ended" value={formatDateTime(job.ended_at)} />
        </SimpleGrid>
        <Anchor component={Link} to={`/strategies/${job.strategy_id}`} size="xs" mt="xs">
          Open strategy
        </Anchor>
      </Card>
      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder>
            <Text fw={600} mb="xs">
              Episodic return
            </Text>
            <LineChart series={returnSeries} byStep testId="return-chart" />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder>
            <Text fw={600} mb="xs">
              Loss
            </Text>
            <LineChart series={lossSeries} byStep testId="loss-chart" />
          </Card>
        </Grid.Col>
      </Grid>
      {resourceSeries.length > 0 && (
        <Card withBorder data-testid="resource-usage">
          <Text fw={600} mb="xs">
            Resource usage
          </Text>
          <SimpleGrid cols={{ base: 2, sm: 4 }} mb="xs">
            {Object.entries(job.run_record?.resource_usage ?? {})
              .filter(([name]) => name.endsWith("_peak") || name.endsWith("_mean"))
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([name, value]) => (
                <Fact key={name} label={name} value={formatNumber(value, 4)} />
              ))}
          </SimpleGrid>
          <LineChart series={resourceSeries} byStep testId="resource-chart" />
        </Card>
      )}
      {finalMetrics.length > 0 && (
        <Card withBorder>
          <Text fw={600} mb="xs">
            Final metrics
          </Text>
          <Table data-testid="final-metrics">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Metric</Table.Th>
                <Table.Th ta="right">Value</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {finalMetrics.map(([name, value]) => (
                <Table.Tr key={name}>
                  <Table.Td>{name}</Table.Td>
                  <Table.Td ta="right">{formatNumber(value)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}
    </Stack>
  );
}
