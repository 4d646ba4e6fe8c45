import { Badge, Button, Card, Grid, Group, Stack, Text, Title } from "@mantine/core";
import { useCallback, useEffect, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { ErrorAlert, Loading } from "../components/Feedback";
import { StateBadge } from "../components/StateBadge";
import { AccountFigures, NewAccountForm } from "../components/risk/AccountSummary";
import { AccountsTable } from "../components/risk/AccountsTable";
import {
  DecisionFeed,
  feedRowFromDecision,
  feedRowFromEvent,
  mergeFeed,
} from "../components/risk/DecisionFeed";
import type { FeedRow } from "../components/risk/DecisionFeed";
import { KillSwitch } from "../components/risk/KillSwitch";
import { LimitsEditor } from "../components/risk/LimitsEditor";
import { OrderTicket, WorkingOrders } from "../components/risk/OrdersPanel";
import { PositionsTable } from "../components/risk/PositionsTable";
import { StateHistory } from "../components/risk/StateHistory";
import { useEventStream } from "../events";
import type { PlatformEvent, StreamStatus } from "../events";
import { GLOBAL_TOPIC, riskApi, riskPowers } from "../risk";
import { useSession } from "../session";
import type { Account, Order, Position, StateRecord } from "../risk";
import { useApi } from "../useApi";

const RELOAD_DEBOUNCE_MS = 150;
const RELOAD_EVENTS = new Set([
  "order_updated",
  "fill_received",
  "position_changed",
  "trading_state_changed",
  "kill_switch_engaged",
  "kill_switch_completed",
]);

function StreamBadge({ status }: { status: StreamStatus }) {
  const color = status === "live" ? "green" : status === "closed" ? "gray" : "yellow";
  return (
    <Badge color={color} variant="dot" data-testid="stream-status">
      {status}
    </Badge>
  );
}

interface Snapshot {
  global: StateRecord;
  account: Account;
  positions: Position[];
  orders: Order[];
  changes: StateRecord[];
}

async function loadSnapshot(id: string): Promise<Snapshot> {
  const [global, account, positions, orders, changes] = await Promise.all([
    riskApi.globalState(),
    riskApi.getAccount(id),
    riskApi.positions(id),
    riskApi.workingOrders(id),
    riskApi.stateChanges(id),
  ]);
  return {
    global,
    account,
    positions: positions.positions,
    orders: orders.orders,
    changes: changes.changes,
  };
}

/** One account live: figures, positions, working orders, decisions, limits, state, kill. */
function AccountConsole({
  accountId,
  onAccountChanged,
}: {
  accountId: string;
  onAccountChanged: () => void;
}) {
  const { user } = useSession();
  const powers = riskPowers(user?.roles ?? []);
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [feed, setFeed] = useState<FeedRow[]>([]);
  const [error, setError] = useState<Error | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const lastState = useRef("");
  const reload = useCallback(async () => {
    try {
      const next = await loadSnapshot(accountId);
      setSnapshot(next);
      setError(null);
      // The accounts table above shows state and equity too: refresh it when they moved.
      const seen = `${next.account.trading_state}|${next.account.equity}|${next.account.cash}`;
      if (lastState.current && lastState.current !== seen) onAccountChanged();
      lastState.current = seen;
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, [accountId, onAccountChanged]);

  const reloadFeed = useCallback(async () => {
    try {
      const page = await riskApi.decisions(accountId);
      setFeed((rows) => mergeFeed(rows, page.decisions.map(feedRowFromDecision)));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, [accountId]);

  const reloadSoon = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void reload(), RELOAD_DEBOUNCE_MS);
  }, [reload]);

  useEffect(() => {
    setSnapshot(null);
    setFeed([]);
    void reload();
    void reloadFeed();
    return () => clearTimeout(timer.current);
  }, [reload, reloadFeed]);

  const onEvent = useCallback(
    (event: PlatformEvent) => {
      if (event.type === "order_decided") {
        setFeed((rows) => mergeFeed(rows, [feedRowFromEvent(event.time, event.payload)]));
        reloadSoon();
      } else if (RELOAD_EVENTS.has(event.type)) {
        reloadSoon();
      }
    },
    [reloadSoon],
  );
  // After every (re)subscription: catch up on what happened while not subscribed.
  const onLive = useCallback(() => {
    void reload();
    void reloadFeed();
  }, [reload, reloadFeed]);
  const topic = snapshot?.account.events_topic ?? "";
  const status = useEventStream(topic ? [topic, GLOBAL_TOPIC] : [], onEvent, onLive);

  if (!snapshot) return error ? <ErrorAlert error={error} /> : <Loading label="Loading account…" />;
  const { global, account, positions, orders, changes } = snapshot;
  return (
    <Stack data-testid="account-console">
      <Card withBorder>
        <Group justify="space-between" mb="sm">
          <Group gap="sm">
            <Title order={3}>{account.name}</Title>
            <Badge variant="outline">{account.mode}</Badge>
            <StateBadge state={account.trading_state} testId="trading-state" />
            <StreamBadge status={status} />
            {global.trading_state !== "ACTIVE" && (
              <Badge color="red" variant="filled" data-testid="global-state" title={global.reason}>
                platform {global.trading_state}
              </Badge>
            )}
          </Group>
          {(powers.trades || powers.governs) && (
            <KillSwitch
              account={account}
              workingOrders={orders.length}
              onDone={() => void reload()}
            />
          )}
        </Group>
        <AccountFigures account={account} />
      </Card>
      {error && <ErrorAlert error={error} />}
      <Grid>
        <Grid.Col span={{ base: 12, lg: 6 }}>
          <Stack>
            <Card withBorder>
              <Text fw={600} mb="xs">
                Positions
              </Text>
              <PositionsTable positions={positions} />
            </Card>
            <Card withBorder>
              <Text fw={600} mb="xs">
                Working orders
              </Text>
              <WorkingOrders accountId={account.id} orders={orders} onChanged={reloadSoon} />
            </Card>
            {powers.trades && (
              <Card withBorder>
                <Text fw={600} mb="xs">
                  Place an order
                </Text>
                <OrderTicket accountId={account.id} onPlaced={reloadSoon} />
              </Card>
            )}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 6 }}>
          <Stack>
            <Card withBorder>
              <Text fw={600} mb="xs">
                Live decisions
              </Text>
              <DecisionFeed rows={feed} />
            </Card>
            <Card withBorder>
              <Text fw={600} mb="xs">
                Trading state history
              </Text>
              <StateHistory
                accountId={account.id}
                changes={changes}
                onChanged={reloadSoon}
                canSet={powers.governs}
              />
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
      <Card withBorder>
        <Text fw={600} mb="xs">
          Limits
        </Text>
        <LimitsEditor accountId={account.id} canEdit={powers.governs} />
      </Card>
    </Stack>
  );
}

export default function RiskConsolePage() {
  const { user } = useSession();
  const powers = riskPowers(user?.roles ?? []);
  const { accountId = "" } = useParams();
  const navigate = useNavigate();
  const list = useApi((signal) => riskApi.listAccounts(signal), []);
  const accounts = list.data?.accounts ?? [];

  useEffect(() => {
    if (!accountId && accounts.length > 0) navigate(`/risk/${accounts[0].id}`, { replace: true });
  }, [accountId, accounts, navigate]);

  return (
    <Stack data-testid="risk-console">
      <Group justify="space-between">
        <Title order={2}>Risk console</Title>
        <Button variant="default" size="xs" onClick={list.reload}>
          Refresh accounts
        </Button>
      </Group>
      {list.error && <ErrorAlert error={list.error} />}
      {list.loading && !list.data && <Loading label="Loading accounts…" />}
      {accounts.length > 0 && (
        <Card withBorder>
          <Text fw={600} mb="xs">
            Accounts
          </Text>
          <AccountsTable
            accounts={accounts}
            selected={accountId}
            onSelect={(id) => navigate(`/risk/${id}`)}
          />
        </Card>
      )}
      {powers.trades && (
        <NewAccountForm
          onCreated={(account) => {
            list.reload();
            navigate(`/risk/${account.id}`);
          }}
        />
      )}
      {accountId && (
        <AccountConsole key={accountId} accountId={accountId} onAccountChanged={list.reload} />
      )}
    </Stack>
  );
}
