import { Anchor, Progress, Table, Text } from "@mantine/core";
import { useMemo } from "react";
import { Link } from "react-router";
import { api } from "../api";
import type { TrainingJob } from "../api";
import { formatCount, formatDateTime } from "../format";
import { useApi } from "../useApi";
import { StateBadge } from "./StateBadge";

/** Strategy id -> name, for labels (one page of the caller's strategies). */
export function useStrategyNames(): Map<string, string> {
  const list = useApi((signal) => api.listStrategies("", 200, signal), []);
  return useMemo(
    () => new Map((list.data?.strategies ?? []).map((s) => [s.id, s.name])),
    [list.data],
  );
}

export function JobsTable({ jobs, names }: { jobs: TrainingJob[]; names: Map<string, string> }) {
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped highlightOnHover data-testid="jobs-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Job</Table.Th>
            <Table.Th>Strategy</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th w={180}>Progress</Table.Th>
            <Table.Th>Device</Table.Th>
            <Table.Th>Created</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {jobs.map((j) => (
            <Table.Tr key={j.id} data-testid="job-row">
              <Table.Td>
                <Anchor component={Link} to={`/jobs/${j.id}`} ff="monospace" size="sm">
                  {j.id.slice(0, 8)}
                </Anchor>
              </Table.Td>
              <Table.Td>
                <Anchor component={Link} to={`/strategies/${j.strategy_id}`} size="sm">
                  {names.get(j.strategy_id) ?? j.strategy_id.slice(0, 8)}
                </Anchor>{" "}
                <Text span size="xs" c="dimmed">
                  v{j.strategy_version}
                </Text>
              </Table.Td>
              <Table.Td>
                <StateBadge state={j.state} />
                {j.queue_position > 0 && (
                  <Text size="xs" c="dimmed" data-testid="job-queue">
                    #{j.queue_position} in queue · {j.wait_reason}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Progress value={j.progress.fraction * 100} size="sm" />
                <Text size="xs" c="dimmed">
                  {formatCount(j.progress.step)} / {formatCount(j.progress.total_steps)}
                </Text>
              </Table.Td>
              <Table.Td>{j.device || "—"}</Table.Td>
              <Table.Td>{formatDateTime(j.created_at)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

