import { Badge } from "@mantine/core";

const COLORS: Record<string, string> = {
  QUEUED: "gray",
  RUNNING: "blue",
  PAUSED: "yellow",
  SUCCEEDED: "green",
  FAILED: "red",
  CANCELLING: "orange",
  CANCELLED: "dark",
  ACTIVE: "green",
  REDUCING: "yellow",
  HALTED: "red",
};

/** The state of a job, backtest or trading scope, one color per state everywhere. */
export function StateBadge({ state, testId }: { state: string; testId?: string }) {
  return (
    <Badge color={COLORS[state] ?? "gray"} variant="light" data-testid={testId}>
      {state}
    </Badge>
  );
}
