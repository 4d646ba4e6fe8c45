import { Anchor, Progress, Table } from "@mantine/core";
import { Link } from "react-router";
import type { Backtest } from "../api";
import { formatDateTime, formatNumber } from "../format";
import { StateBadge } from "./StateBadge";

/** What a backtest ran: the baseline, the trained job or the checkpoint. */
export function backtestSource(b: Backtest): string {
  const spec = b.spec as Record<string, string | undefined>;
  if (spec.baseline) return spec.baseline.replace(/_/g, " ");
  if (spec.trainingJobId) return `job ${spec.trainingJobId.slice(0, 8)}`;
  if (spec.checkpointUri) return "checkpoint";
  if (spec.signalSeries) return "signals";
  return "—";
}

export function BacktestsTable({ backtests }: { backtests: Backtest[] }) {
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped highlightOnHover data-testid="backtests-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Backtest</Table.Th>
            <Table.Th>Source</Table.Th>
            <Table.Th>Dataset</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th ta="right">Total return</Table.Th>
            <Table.Th ta="right">Peak CPU % / RSS MiB</Table.Th>
            <Table.Th>Created</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {backtests.map((b) => (
            <Table.Tr key={b.id} data-testid="backtest-row">
              <Table.Td>
                <Anchor component={Link} to={`/backtests/${b.id}`} ff="monospace" size="sm">
                  {b.id.slice(0, 8)}
                </Anchor>
              </Table.Td>
              <Table.Td>{backtestSource(b)}</Table.Td>
              <Table.Td>{String(b.spec.datasetId ?? "—")}</Table.Td>
              <Table.Td>
                <StateBadge state={b.state} />
                {b.state === "RUNNING" && <Progress value={b.progress * 100} size="xs" mt={4} />}
              </Table.Td>
              <Table.Td ta="right">{formatNumber(b.summary_metrics.total_return)}</Table.Td>
              <Table.Td ta="right" data-testid="backtest-resources">
                {b.resource_usage?.rss_mib_peak === undefined
                  ? "—"
                  : `${formatNumber(b.resource_usage.cpu_percent_peak, 3)} / ${formatNumber(
                      b.resource_usage.rss_mib_peak,
                      4,
                    )}`}
              </Table.Td>
              <Table.Td>{formatDateTime(b.create_time)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
