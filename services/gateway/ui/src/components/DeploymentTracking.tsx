import { Anchor, Card, Group, Text } from "@mantine/core";
import { useMemo } from "react";
import { Link } from "react-router";
import { api } from "../api";
import { type Deployment, type EquitySample, tracking } from "../deployments";
import { formatNumber } from "../format";
import { registry } from "../registry";
import { useApi } from "../useApi";
import { ErrorAlert } from "./Feedback";
import { LineChart, seriesColor } from "./LineChart";

const EQUITY_POINTS = 5000;

/** The latest finished backtest of the deployed version, with its equity curve. */
function useVersionBacktest(d: Deployment) {
  return useApi(async (signal) => {
    const version = await registry.getVersion(d.model_id, d.model_version, signal);
    const done = version.backtests
      .filter((b) => b.state === "SUCCEEDED")
      .sort((a, b) => (b.create_time ?? "").localeCompare(a.create_time ?? ""));
    if (done.length === 0) return null;
    const result = await api.backtestResult(
      done[0].id,
      { trades_page_size: 1, max_equity_points: EQUITY_POINTS },
      signal,
    );
    return { id: done[0].id, curve: result.equity_curve };
  }, [d.model_id, d.model_version]);
}

/**
 * Live equity of the deployment's account next to what the version's latest backtest predicted
 * over the same market times, and the tracking error (formula in `tracking`). The live line is
 * the stored equity of each bar the deployment processed (GET /deployments/{id}/equity), the
 * series the promotion gate's tracking error is computed on.
 */
export function DeploymentTracking({
  deployment,
  samples,
}: {
  deployment: Deployment;
  samples: EquitySample[];
}) {
  const backtest = useVersionBacktest(deployment);
  const curve = backtest.data?.curve;
  const result = useMemo(() => tracking(samples, curve ?? []), [samples, curve]);
  const series = [
    {
      label: "live equity",
      color: seriesColor(0),
      points: samples.map((s) => ({ x: s.time, y: s.equity })),
    },
    {
      label: "backtest predicted",
      color: seriesColor(1),
      points: result.predicted.map((s) => ({ x: s.time, y: s.equity })),
    },
  ];
  let note: string;
  if (backtest.loading && !backtest.data) note = "Loading the version's backtests…";
  else if (!backtest.data) note = "No backtest of this model version yet: nothing to compare with.";
  else if (samples.length === 0) note = "No bars processed yet.";
  else if (result.predicted.length === 0) note = "No backtest for this period: the version's latest backtest does not cover these bars.";
  else note = `Compared on ${result.commonBars} bar(s) both cover.`;
  return (
    <Card withBorder data-testid="deployment-tracking">
      <Group justify="space-between" mb="xs" wrap="nowrap">
        <Text fw={600}>Live equity vs backtest</Text>
        <Text size="sm" data-testid="tracking-error">
          Tracking error:{" "}
          <b>
            {result.trackingErrorBps === null
              ? "—"
              : `${formatNumber(result.trackingErrorBps, 4)} bps`}
          </b>
        </Text>
      </Group>
      {backtest.error && <ErrorAlert error={backtest.error} />}
      <LineChart series={series} height={260} testId="tracking-chart" />
      <Text size="xs" c="dimmed" mt="xs" data-testid="tracking-note">
        {note}
        {backtest.data && (
          <>
            {" "}Backtest{" "}
            <Anchor component={Link} to={`/backtests/${backtest.data.id}`} ff="monospace" size="xs">
              {backtest.data.id.slice(0, 8)}
            </Anchor>
            .
          </>
        )}
      </Text>
      <Text size="xs" c="dimmed">
        Live equity is the account's equity the runner read once it had processed each bar,
        stored by the trainer (a runner behind its feed reads an account already marked at later
        prices). The promotion gate computes the same figure. Tracking error = annualised standard
        deviation of the per-bar return difference (live − backtest) on the bars both cover, in
        basis points: std(Δr) · √(365 · 86 400 / mean sample spacing in s) · 10⁴ (the spacing is the
        bar interval when every bar was sampled).
      </Text>
    </Card>
  );
}
