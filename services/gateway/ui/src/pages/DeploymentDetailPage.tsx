import { Badge, Card, Grid, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useCallback, useEffect, useRef, useState } from "react";
import { useParams } from "react-router";
import { DeploymentFills, DeploymentOrders } from "../components/DeploymentActivity";
import { DeploymentControls } from "../components/DeploymentControls";
import { DeploymentTracking } from "../components/DeploymentTracking";
import { ErrorAlert, Loading } from "../components/Feedback";
import { StateBadge } from "../components/StateBadge";
import { AccountFigures } from "../components/risk/AccountSummary";
import {
  DecisionFeed,
  feedRowFromDecision,
  feedRowFromEvent,
  mergeFeed,
} from "../components/risk/DecisionFeed";
import type { FeedRow } from "../components/risk/DecisionFeed";
import { PositionsTable } from "../components/risk/PositionsTable";
import {
  type Deployment,
  type DeploymentOrder,
  type EquitySample,
  type Fill,
  deploymentsApi,
  loadEquity,
} from "../deployments";
import { useEventStream } from "../events";
import type { PlatformEvent, StreamStatus } from "../events";
import { formatCount, formatDateTime } from "../format";
import { registry } from "../registry";
import { type Account, type Position, riskApi } from "../risk";
import { useApi } from "../useApi";

const POLL_MS = 1000;
const RELOAD_DEBOUNCE_MS = 150;
const LIVE = ["QUEUED", "RUNNING", "PAUSED", "CANCELLING"];

interface Activity {
  account: Account;
  positions: Position[];
  orders: DeploymentOrder[];
  fills: Fill[];
}

async function loadActivity(d: Deployment): Promise<Activity> {
  const [account, positions, orders, fills] = await Promise.all([
    riskApi.getAccount(d.account_id),
    riskApi.positions(d.account_id),
    deploymentsApi.orders(d.account_id),
    deploymentsApi.fills(d.account_id),
  ]);
  const mine = orders.orders.filter((o) => o.deployment_id === d.id);
  const ids = new Set(mine.map((o) => o.client_order_id));
  const held = new Set(d.instruments);
  return {
    account,
    positions: positions.positions.filter((p) => held.has(p.instrument_id)),
    orders: mine,
    fills: fills.fills.filter((f) => ids.has(f.client_order_id)),
  };
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600} data-testid={testId} style={{ overflowWrap: "anywhere" }}>
        {value}
      </Text>
    </div>
  );
}

function StreamBadge({ status }: { status: StreamStatus }) {
  const color = status === "live" ? "green" : status === "closed" ? "gray" : "yellow";
  return (
    <Badge color={color} variant="dot" data-testid="stream-status" style={{ flexShrink: 0 }}>
      events {status}
    </Badge>
  );
}

/** The deployment itself, refreshed every second while its runner is live; when a bar was
 * processed the stored live equity (one sample per bar, kept by the trainer) is read again. */
function useDeployment(id: string) {
  const [deployment, setDeployment] = useState<Deployment | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [samples, setSamples] = useState<EquitySample[]>([]);
  const lastBars = useRef<number | null>(null);
  const refresh = useCallback(async () => {
    try {
      const d = await deploymentsApi.get(id);
      setDeployment(d);
      setError(null);
      if (d.bars_processed !== lastBars.current) {
        lastBars.current = d.bars_processed;
        setSamples(await loadEquity(id));
      }
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, [id]);
  const live = deployment === null || LIVE.includes(deployment.state);
  useEffect(() => {
    void refresh();
    if (!live) return undefined;
    const timer = setInterval(() => void refresh(), POLL_MS);
    return () => clearInterval(timer);
  }, [refresh, live]);
  return { deployment, setDeployment, samples, error, setError };
}

/** One deployment live: state and controls, progress, equity vs backtest with the tracking
 * error, and its positions, orders, fills and the account's risk decisions. Account events
 * arrive over the event stream (orders, fills, positions, decisions); the runner's progress
 * is polled from the trainer. */
export default function DeploymentDetailPage() {
  const { id = "" } = useParams();
  const { deployment, setDeployment, samples, error, setError } = useDeployment(id);
  const [activity, setActivity] = useState<Activity | null>(null);
  const [feed, setFeed] = useState<FeedRow[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const model = useApi(
    (signal) => (deployment ? registry.getModel(deployment.model_id, signal) : Promise.resolve(null)),
    [deployment?.model_id],
  );

  const reload = useCallback(async () => {
    if (!deployment) return;
    try {
      setActivity(await loadActivity(deployment));
      const page = await riskApi.decisions(deployment.account_id);
      setFeed((rows) => mergeFeed(rows, page.decisions.map(feedRowFromDecision)));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
    // Reload on a new bar or state, not on every poll of the same deployment.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [deployment?.id, deployment?.bars_processed, deployment?.state, setError]);
  useEffect(() => {
    void reload();
  }, [reload]);
  const reloadSoon = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void reload(), RELOAD_DEBOUNCE_MS);
  }, [reload]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onEvent = useCallback(
    (event: PlatformEvent) => {
      if (event.type === "order_decided") {
        setFeed((rows) => mergeFeed(rows, [feedRowFromEvent(event.time, event.payload)]));
      }
      reloadSoon();
    },
    [reloadSoon],
  );
  const topic = activity?.account.events_topic ?? "";
  const status = useEventStream(topic ? [topic] : [], onEvent, reloadSoon);

  if (!deployment) return error ? <ErrorAlert error={error} /> : <Loading label="Loading deployment…" />;
  const d = deployment;
  const limits = Object.entries(d.limits)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k.replace(/_/g, " ")} ${v}`);
  return (
    <Stack data-testid="deployment-detail">
      <Card withBorder>
        <Group justify="space-between" mb="sm">
          <Group gap="sm">
            <Title order={3}>
              {model.data?.name ?? d.model_id.slice(0, 8)} v{d.model_version}
            </Title>
            <Badge variant="outline" style={{ flexShrink: 0 }}>
              {d.mode}
            </Badge>
            <StateBadge state={d.state} testId="deployment-state" />
            <StreamBadge status={status} />
          </Group>
          <DeploymentControls deployment={d} onChanged={setDeployment} onError={setError} />
        </Group>
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm" verticalSpacing="xs">
          <Figure label="Account" value={activity?.account.name ?? d.account_id.slice(0, 8)} />
          <Figure label="Instruments" value={d.instruments.join(", ")} />
          <Figure label="Bars processed" value={formatCount(d.bars_processed)} testId="bars-processed" />
          <Figure label="Orders submitted" value={formatCount(d.orders_submitted)} testId="orders-submitted" />
          <Figure label="Last bar" value={formatDateTime(d.last_bar_time)} testId="last-bar" />
          <Figure label="Bar source" value={`${d.bar_source || "platform bars"} · ${d.bar_interval_seconds}s`} />
          <Figure label="Limits" value={limits.length ? limits.join(", ") : "none"} />
          <Figure label="Runner attempts" value={String(d.attempt)} />
        </SimpleGrid>
        {d.failure_reason && (
          <Text c="red" size="sm" mt="xs" data-testid="failure-reason">
            {d.failure_reason}
          </Text>
        )}
      </Card>
      {error && <ErrorAlert error={error} />}
      {activity && (
        <Card withBorder>
          <AccountFigures account={activity.account} />
        </Card>
      )}
      <DeploymentTracking deployment={d} samples={samples} />
      <Grid>
        <Grid.Col span={{ base: 12, xl: 6 }}>
          <Stack>
            <Card withBorder>
              <Text fw={600} mb="xs">
                Positions ({d.instruments.join(", ")})
              </Text>
              <PositionsTable positions={activity?.positions ?? []} />
            </Card>
            <Card withBorder>
              <Text fw={600} mb="xs">
                Recent orders
              </Text>
              <DeploymentOrders orders={activity?.orders ?? []} />
            </Card>
            <Card withBorder>
              <Text fw={600} mb="xs">
                Fills
              </Text>
              <DeploymentFills fills={activity?.fills ?? []} />
            </Card>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, xl: 6 }}>
          <Card withBorder>
            <Text fw={600} mb="xs">
              Risk decisions on the account
            </Text>
            <DecisionFeed rows={feed} />
          </Card>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
