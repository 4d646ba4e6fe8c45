import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Grid,
  Group,
  Progress,
  Stack,
  Table,
  Text,
  Title,
} from "@mantine/core";
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { api, downloadWithToken } from "../api";
import type { Backtest, BacktestResult, Trade } from "../api";
import { backtestSource } from "../components/BacktestsTable";
import { ShareControls, useMayChange } from "../components/ShareControls";
import { ErrorAlert, Loading } from "../components/Feedback";
import { LineChart, seriesColor } from "../components/LineChart";
import {
  DynamicsTestCard,
  RegimeLegend,
  RegimeTable,
  ResourceCard,
  regimeBands,
  regimeColors,
} from "../components/RegimeReport";
import type { ChartSeries } from "../components/LineChart";
import { StateBadge } from "../components/StateBadge";
import { useEventStream } from "../events";
import type { PlatformEvent } from "../events";
import { epochSeconds, formatDateTime, formatNumber, formatPercent } from "../format";
import { isFinal } from "../jobs";

const TRADES_PAGE = 20;
const EQUITY_POINTS = 1000;

function MetricsTable({ metrics }: { metrics: Record<string, number> }) {
  const rows = Object.entries(metrics).sort(([a], [b]) => a.localeCompare(b));
  const half = Math.ceil(rows.length / 2);
  return (
    <Grid data-testid="backtest-metrics">
      {[rows.slice(0, half), rows.slice(half)].map((part, i) => (
        <Grid.Col span={{ base: 12, md: 6 }} key={i}>
          <Table>
            <Table.Tbody>
              {part.map(([name, value]) => (
                <Table.Tr key={name}>
                  <Table.Td>{name.replace(/_/g, " ")}</Table.Td>
                  <Table.Td ta="right">{formatNumber(value)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Grid.Col>
      ))}
    </Grid>
  );
}

function TradesTable({ trades }: { trades: Trade[] }) {
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table striped data-testid="trades-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Time</Table.Th>
            <Table.Th>Asset</Table.Th>
            <Table.Th>Side</Table.Th>
            <Table.Th>Effect</Table.Th>
            <Table.Th ta="right">Quantity</Table.Th>
            <Table.Th ta="right">Price</Table.Th>
            <Table.Th ta="right">Fee</Table.Th>
            <Table.Th ta="right">Slippage</Table.Th>
            <Table.Th ta="right">Realized P&amp;L</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {trades.map((t, i) => (
            <Table.Tr key={`${t.time}-${t.asset}-${i}`} data-testid="trade-row">
              <Table.Td>{formatDateTime(`${t.time}${t.time.endsWith("Z") ? "" : "Z"}`)}</Table.Td>
              <Table.Td>{t.asset}</Table.Td>
              <Table.Td>
                <Badge size="sm" variant="light" color={t.side === "buy" ? "teal" : "red"}>
                  {t.side}
                </Badge>
              </Table.Td>
              <Table.Td>{t.effect}</Table.Td>
              <Table.Td ta="right">{formatNumber(t.quantity, 6)}</Table.Td>
              <Table.Td ta="right">{formatNumber(t.price, 6)}</Table.Td>
              <Table.Td ta="right">{formatNumber(t.fee)}</Table.Td>
              <Table.Td ta="right">{formatNumber(t.slippage)}</Table.Td>
              <Table.Td ta="right">{formatNumber(t.realized_pnl)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Trades of a finished backtest, one page at a time (tokens kept to go back). */
function TradesCard({ id, first }: { id: string; first: BacktestResult }) {
  const [tokens, setTokens] = useState<string[]>([""]);
  const [trades, setTrades] = useState(first.trades);
  const [next, setNext] = useState(first.next_trades_page_token);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  async function go(token: string, stack: string[]) {
    setBusy(true);
    setError(null);
    try {
      const page = await api.backtestResult(id, {
        trades_page_size: TRADES_PAGE,
        trades_page_token: token,
        max_equity_points: 1,
      });
      setTrades(page.trades);
      setNext(page.next_trades_page_token);
      setTokens(stack);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  const page = tokens.length;
  return (
    <Card withBorder>
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Trades</Text>
        <Group gap="xs">
          <Text size="sm" c="dimmed" data-testid="trades-page">
            page {page}
          </Text>
          <Button
            size="xs"
            variant="default"
            disabled={page <= 1 || busy}
            onClick={() => void go(tokens[tokens.length - 2], tokens.slice(0, -1))}
          >
            Previous
          </Button>
          <Button
            size="xs"
            variant="default"
            disabled={!next || busy}
            onClick={() => void go(next, [...tokens, next])}
          >
            Next
          </Button>
        </Group>
      </Group>
      {error && <ErrorAlert error={error} />}
      {trades.length === 0 ? (
        <Text c="dimmed" size="sm">
          No trades.
        </Text>
      ) : (
        <TradesTable trades={trades} />
      )}
    </Card>
  );
}

function Report({ backtest }: { backtest: Backtest }) {
  const [result, setResult] = useState<BacktestResult | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [downloadError, setDownloadError] = useState<Error | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    api
      .backtestResult(
        backtest.id,
        { trades_page_size: TRADES_PAGE, max_equity_points: EQUITY_POINTS },
        controller.signal,
      )
      .then(setResult)
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      });
    return () => controller.abort();
  }, [backtest.id]);

  const equity = useMemo<ChartSeries[]>(() => {
    const curve = result?.equity_curve ?? [];
    const lines: ChartSeries[] = [
      {
        label: "strategy",
        color: seriesColor(0),
        points: curve.map((p) => ({ x: epochSeconds(p.time), y: p.equity })),
      },
    ];
    if (curve.some((p) => p.benchmark_equity !== null)) {
      lines.push({
        label: "benchmark",
        color: seriesColor(1),
        points: curve
          .filter((p) => p.benchmark_equity !== null)
          .map((p) => ({ x: epochSeconds(p.time), y: p.benchmark_equity as number })),
      });
    }
    return lines;
  }, [result]);

  const colors = useMemo(() => regimeColors(result?.equity_curve ?? []), [result]);
  const bands = useMemo(() => regimeBands(result?.equity_curve ?? [], colors), [result, colors]);

  const drawdown = useMemo<ChartSeries[]>(
    () => [
      {
        label: "drawdown",
        color: seriesColor(3),
        area: true,
        points: (result?.equity_curve ?? []).map((p) => ({
          x: epochSeconds(p.time),
          y: -Math.abs(p.drawdown),
        })),
      },
    ],
    [result],
  );

  if (error) return <ErrorAlert error={error} title="Cannot load the result" />;
  if (!result) return <Loading label="Loading result…" />;
  const report = result.artifacts.find((a) => a.name === "report.html");
  return (
    <Stack>
      <Card withBorder>
        <Group justify="space-between" mb="xs">
          <Text fw={600}>Metrics</Text>
          {report && (
            <Button
              size="xs"
              variant="default"
              onClick={() => {
                setDownloadError(null);
                downloadWithToken(report.download_path, `backtest-${backtest.id}.html`).catch(
                  (e: unknown) => setDownloadError(e instanceof Error ? e : new Error(String(e))),
                );
              }}
            >
              Download HTML report
            </Button>
          )}
        </Group>
        {downloadError && <ErrorAlert error={downloadError} title="Download failed" />}
        <MetricsTable metrics={result.metrics} />
      </Card>
      {result.regimes.length > 0 && <RegimeTable regimes={result.regimes} />}
      <Card withBorder>
        <Text fw={600} mb="xs">
          Equity vs benchmark
        </Text>
        <LineChart series={equity} bands={bands} height={320} testId="equity-chart" />
        {colors.size > 0 && <RegimeLegend colors={colors} />}
      </Card>
      {result.dynamics_tests.length > 0 && <DynamicsTestCard result={result} />}
      <Card withBorder>
        <Text fw={600} mb="xs">
          Drawdown
        </Text>
        <LineChart series={drawdown} height={180} testId="drawdown-chart" />
      </Card>
      <ResourceCard backtest={backtest} result={result} />
      <TradesCard id={backtest.id} first={result} />
    </Stack>
  );
}

export default function BacktestDetailPage() {
  const { id = "" } = useParams();
  const [backtest, setBacktest] = useState<Backtest | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [live, setLive] = useState<Record<string, number> | null>(null);
  const mayChange = useMayChange(backtest?.owner_id);

  const reload = useCallback(async () => {
    try {
      setBacktest(await api.getBacktest(id));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, [id]);

  useEffect(() => {
    setBacktest(null);
    void reload();
  }, [reload]);

  // The backtest service publishes progress and state only after storing them, so events
  // drive the page: a re-read after a state event shows that state or a later one.
  const running = backtest !== null && !isFinal(backtest.state);

  const onEvent = useCallback(
    (event: PlatformEvent) => {
      if (event.type === "backtest_progress") {
        const fraction = Number(event.payload.fraction ?? 0);
        setBacktest((b) => (b && !isFinal(b.state) ? { ...b, progress: fraction } : b));
        const sample = event.payload.resources as Record<string, number> | undefined;
        if (sample) setLive(sample);
      } else if (event.type === "job_state_changed" || event.type === "backtest_finished") {
        void reload();
      }
    },
    [reload],
  );
  useEventStream(running ? [`backtest/${id}`] : [], onEvent, reload);

  async function cancel() {
    setCancelling(true);
    try {
      setBacktest(await api.cancelBacktest(id));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setCancelling(false);
    }
  }

  return (
    <Stack data-testid="backtest-detail">
      <Anchor component={Link} to="/backtests" size="sm">
        ← Backtests
      </Anchor>
      {error && <ErrorAlert error={error} />}
      {!backtest && !error && <Loading label="Loading backtest…" />}
      {backtest && (
        <>
          <Group justify="space-between">
            <Group gap="sm">
              <Title order={2}>Backtest {backtest.id.slice(0, 8)}</Title>
              <StateBadge state={backtest.state} testId="backtest-state" />
            </Group>
            <Group gap="xs">
              <ShareControls
                kind="backtests"
                id={backtest.id}
                name={`Backtest ${backtest.id.slice(0, 8)}`}
                ownerId={backtest.owner_id}
              />
              {mayChange && backtest.allowed_actions.includes("cancel") && (
                <Button color="red" variant="light" loading={cancelling} onClick={cancel}>
                  Cancel
                </Button>
              )}
            </Group>
          </Group>
          <Text size="sm" c="dimmed">
            {backtestSource(backtest)} on {String(backtest.spec.datasetId ?? "—")} · fee rate{" "}
            {String(backtest.spec.feeRate ?? "0")} · created {formatDateTime(backtest.create_time)}
          </Text>
          {running && (
            <Card withBorder>
              <Text size="sm" mb={4}>
                {formatPercent(backtest.progress)}
              </Text>
              <Progress
                value={backtest.progress * 100}
                animated
                data-testid="backtest-progress"
                aria-label="Backtest progress"
              />
              {live && (
                <Text size="xs" c="dimmed" mt={4} data-testid="backtest-live-resources">
                  CPU {formatNumber(live["resources/cpu_percent"], 3)}% · RSS{" "}
                  {formatNumber(live["resources/rss_mib"], 4)} MiB
                </Text>
              )}
            </Card>
          )}
          {backtest.state === "FAILED" && (
            <Alert color="red" title="Backtest failed" data-testid="failure-reason">
              {backtest.failure_reason || "no reason recorded"}
            </Alert>
          )}
          {backtest.state === "SUCCEEDED" && <Report backtest={backtest} />}
        </>
      )}
    </Stack>
  );
}
