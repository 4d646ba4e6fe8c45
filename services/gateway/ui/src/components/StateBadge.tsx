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
  PENDING_NEW: "gray",
  ACCEPTED: "blue",
  PARTIALLY_FILLED: "blue",
  FILLED: "green",
  DENIED: "red",
  REJECTED: "red",
  EXPIRED: "dark",
};

/** The state of a job, backtest or trading scope, one color per state everywhere. Never
 * narrower than its text: in a tight table column a Badge otherwise ellipsizes ("S…"). */
export function StateBadge({ state, testId }: { state: string; testId?: string }) {
  return (
    <Badge
      color={COLORS[state] ?? "gray"}
      variant="light"
      data-testid={testId}
      style={{ minWidth: "max-content", flexShrink: 0 }}
    >
      {state}
    </Badge>
  );
}
