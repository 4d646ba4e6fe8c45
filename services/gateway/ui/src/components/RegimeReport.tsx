import { Badge, Button, Card, Group, Select, SimpleGrid, Table, Text } from "@mantine/core";
import { useState } from "react";
import { downloadWithToken } from "../api";
import type { Backtest, BacktestResult, DynamicsTest, EquityPoint } from "../api";
import { ErrorAlert } from "./Feedback";
import { LineChart, seriesColor } from "./LineChart";
import type { ChartBand } from "./LineChart";
import { epochSeconds, formatNumber } from "../format";

const REGIME_METRICS = ["total_return", "sharpe_ratio", "max_drawdown", "annualized_volatility"];
/** Bearish to bullish for TradeMaster's integer labels (0 = most bearish); others cycle. */
const REGIME_COLORS = ["#e03131", "#f08c00", "#868e96", "#74b816", "#2f9e44", "#1098ad"];
const POLICY_NAMES: Record<string, string> = {
  agent: "strategy",
  buy_and_hold: "buy and hold",
  do_nothing: "do nothing",
};

/** The labels in display order: numeric labels by value, others alphabetically. */
function sortedLabels(labels: Iterable<string>): string[] {
  return [...new Set(labels)].sort((a, b) => {
    const [x, y] = [Number(a), Number(b)];
    return Number.isFinite(x) && Number.isFinite(y) ? x - y : a.localeCompare(b);
  });
}

/** A colour per regime label, stable for one result. */
export function regimeColors(curve: EquityPoint[]): Map<string, string> {
  const labels = sortedLabels(curve.map((p) => p.regime).filter((r) => r !== ""));
  const spread = labels.length <= 3 ? [0, 2, 4] : [0, 1, 2, 3, 4, 5];
  return new Map(labels.map((l, i) => [l, REGIME_COLORS[spread[i % spread.length]]]));
}

/** One translucent background band per equity point, coloured by its bar's regime. */
export function regimeBands(curve: EquityPoint[], colors: Map<string, string>): ChartBand[] {
  return curve
    .filter((p) => colors.has(p.regime))
    .map((p) => ({ x: epochSeconds(p.time), color: `${colors.get(p.regime)}33` }));
}

/** Which colour is which regime, under the shaded equity chart. */
export function RegimeLegend({ colors }: { colors: Map<string, string> }) {
  return (
    <Group gap="xs" mt="xs" data-testid="regime-legend">
      <Text size="xs" c="dimmed">
        Shaded by market-dynamics label:
      </Text>
      {[...colors.entries()].map(([label, color]) => (
        <Badge key={label} size="sm" variant="light" color={color} data-testid="regime-swatch">
          {label}
        </Badge>
      ))}
    </Group>
  );
}

/** Metrics per market-dynamics label (0 = most bearish) when the dataset is labelled. */
export function RegimeTable({ regimes }: { regimes: BacktestResult["regimes"] }) {
  return (
    <Card withBorder>
      <Text fw={600} mb="xs">
        Per regime
      </Text>
      <Table data-testid="regime-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Regime</Table.Th>
            <Table.Th ta="right">Bars</Table.Th>
            {REGIME_METRICS.map((m) => (
              <Table.Th key={m} ta="right">
                {m}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {regimes.map((r) => (
            <Table.Tr key={r.regime}>
              <Table.Td>{r.regime}</Table.Td>
              <Table.Td ta="right">{r.bars}</Table.Td>
              {REGIME_METRICS.map((m) => (
                <Table.Td key={m} ta="right">
                  {formatNumber(r.metrics[m])}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

function DynamicsTable({ test }: { test: DynamicsTest }) {
  return (
    <Table data-testid="dynamics-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Policy (mean over segments)</Table.Th>
          {REGIME_METRICS.map((m) => (
            <Table.Th key={m} ta="right">
              {m}
            </Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {test.policies.map((p) => (
          <Table.Tr key={p.policy} data-testid="dynamics-policy">
            <Table.Td>{POLICY_NAMES[p.policy] ?? p.policy}</Table.Td>
            {REGIME_METRICS.map((m) => (
              <Table.Td key={m} ta="right">
                {formatNumber(p.metrics[m])}
              </Table.Td>
            ))}
          </Table.Tr>
        ))}
        <Table.Tr data-testid="dynamics-score">
          <Table.Td fw={600}>strategy score</Table.Td>
          {REGIME_METRICS.map((m) => (
            <Table.Td key={m} ta="right" fw={600}>
              {Number.isFinite(test.scores[m]) ? test.scores[m].toFixed(1) : "—"}
            </Table.Td>
          ))}
        </Table.Tr>
      </Table.Tbody>
    </Table>
  );
}

/**
 * TradeMaster's dynamics test for a chosen label: the strategy, buy-and-hold and do-nothing on
 * every segment of that label, each run alone with fresh cash.
 */
export function DynamicsTestCard({ result }: { result: BacktestResult }) {
  const tests = result.dynamics_tests;
  const [label, setLabel] = useState(tests[0]?.label ?? "");
  const [error, setError] = useState<Error | null>(null);
  const test = tests.find((t) => t.label === label) ?? tests[0];
  const page = result.artifacts.find((a) => a.name === "dynamics_test.html");
  if (!test) return null;
  return (
    <Card withBorder data-testid="dynamics-test">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Dynamics test</Text>
        <Group gap="xs">
          <Select
            size="xs"
            label="Label"
            data={tests.map((t) => t.label)}
            value={test.label}
            onChange={(v) => v !== null && setLabel(v)}
            allowDeselect={false}
            w={120}
          />
          {page && (
            <Button
              size="xs"
              variant="default"
              mt="lg"
              onClick={() => {
                setError(null);
                downloadWithToken(page.download_path, "dynamics_test.html").catch((e: unknown) =>
                  setError(e instanceof Error ? e : new Error(String(e))),
                );
              }}
            >
              Download dynamics report
            </Button>
          )}
        </Group>
      </Group>
      <Text size="sm" c="dimmed" mb="xs" data-testid="dynamics-summary">
        {test.segments} segment{test.segments === 1 ? "" : "s"} of label {test.label}; score 0 =
        do nothing, 50 = buy and hold.
      </Text>
      {error && <ErrorAlert error={error} title="Download failed" />}
      <DynamicsTable test={test} />
    </Card>
  );
}

/** What the backtest run used: the peak/mean summary and the sampled CPU and memory. */
export function ResourceCard({ backtest, result }: { backtest: Backtest; result: BacktestResult }) {
  const history = result.resource_history;
  if (history.length === 0) return null;
  const series = [
    { label: "cpu %", key: "cpu_percent" as const },
    { label: "rss MiB", key: "rss_mib" as const },
  ].map((s, i) => ({
    label: s.label,
    color: seriesColor(i),
    points: history.map((x) => ({ x: x.t, y: x[s.key] })),
  }));
  return (
    <Card withBorder data-testid="backtest-resource-usage">
      <Text fw={600} mb="xs">
        Resource usage
      </Text>
      <SimpleGrid cols={{ base: 2, sm: 4 }} mb="xs">
        {Object.entries(backtest.resource_usage)
          .filter(([name]) => name.endsWith("_peak") || name.endsWith("_mean"))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, value]) => (
            <Text size="sm" key={name}>
              {name.replace(/_/g, " ")}: {formatNumber(value, 4)}
            </Text>
          ))}
      </SimpleGrid>
      <LineChart series={series} byStep height={180} testId="backtest-resource-chart" />
    </Card>
  );
}
