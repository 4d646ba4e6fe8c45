import { Button, Group, Select, Stack, Table, Text, TextInput } from "@mantine/core";
import { useState } from "react";
import { ErrorAlert } from "../Feedback";
import { StateBadge } from "../StateBadge";
import { formatDateTime } from "../../format";
import { riskApi } from "../../risk";
import type { StateRecord, TradingState } from "../../risk";

/** Who changed the account's trading state, when and why, newest first; plus the manual
 * state change (risk officers and admins; the service refuses it to others). */
export function StateHistory({
  accountId,
  changes,
  onChanged,
  canSet,
}: {
  accountId: string;
  changes: StateRecord[];
  onChanged: () => void;
  canSet: boolean;
}) {
  const [target, setTarget] = useState<string | null>("ACTIVE");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  async function apply() {
    if (!target) return;
    setBusy(true);
    setError(null);
    try {
      await riskApi.setState(accountId, target as TradingState, reason.trim());
      setReason("");
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack gap="xs">
      {changes.length === 0 ? (
        <Text c="dimmed" size="sm">
          Never changed: ACTIVE since the account was opened.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={420}>
        <Table data-testid="state-history">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Time (UTC)</Table.Th>
              <Table.Th>Change</Table.Th>
              <Table.Th>By</Table.Th>
              <Table.Th>Reason</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {changes.map((c) => (
              <Table.Tr key={c.change_id || c.updated_at} data-testid="state-change-row">
                <Table.Td>
                  <Text size="xs">{formatDateTime(c.updated_at)}</Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    {c.previous_state && (
                      <>
                        <StateBadge state={c.previous_state} />
                        <Text size="xs">→</Text>
                      </>
                    )}
                    <StateBadge state={c.trading_state} />
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text size="xs" ff="monospace" title={c.updated_by}>
                    {c.updated_by.length > 16 ? `${c.updated_by.slice(0, 8)}…` : c.updated_by}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{c.reason}</Text>
                  {c.cooldown_until && (
                    <Text size="xs" c="dimmed">
                      ACTIVE refused until {formatDateTime(c.cooldown_until)}
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        </Table.ScrollContainer>
      )}
      {canSet && (
        <Group align="flex-end">
          <Select
            label="Set state"
            data={["ACTIVE", "REDUCING", "HALTED"]}
            value={target}
            onChange={setTarget}
            w={140}
          />
          <TextInput
            label="Reason"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            style={{ flex: 1 }}
          />
          <Button variant="default" disabled={!reason.trim()} loading={busy} onClick={() => void apply()}>
            Apply
          </Button>
        </Group>
      )}
      {error && <ErrorAlert error={error} title="State not changed" />}
    </Stack>
  );
}
