import { Badge, Group, Table, Text } from "@mantine/core";
import { useState } from "react";
import { DecisionDetail } from "./DecisionDetail";
import type { Decision } from "../../risk";
import { formatDateTime } from "../../format";

/** One row of the live decision feed, from the REST list or an `order_decided` event. */
export interface FeedRow {
  decision_id: string;
  time: string | null;
  decision: string;
  reasons: string[];
  messages: string[];
  client_order_id: string;
  instrument_id: string;
  side: string;
  quantity: string;
  dry_run: boolean;
}

export function feedRowFromDecision(d: Decision): FeedRow {
  return {
    decision_id: d.decision_id,
    time: d.decided_at,
    decision: d.decision,
    reasons: d.violations.map((v) => v.reason),
    messages: d.violations.map((v) => v.message),
    client_order_id: d.order?.client_order_id ?? "",
    instrument_id: d.order?.instrument_id ?? "",
    side: d.order?.side ?? "",
    quantity: d.order?.quantity ?? "",
    dry_run: d.dry_run,
  };
}

export function feedRowFromEvent(time: string | null, p: Record<string, unknown>): FeedRow {
  return {
    decision_id: String(p.decision_id ?? ""),
    time,
    decision: String(p.decision ?? ""),
    reasons: Array.isArray(p.violation_reasons) ? p.violation_reasons.map(String) : [],
    messages: [],
    client_order_id: String(p.client_order_id ?? ""),
    instrument_id: String(p.instrument_id ?? ""),
    side: String(p.side ?? ""),
    quantity: String(p.quantity ?? ""),
    dry_run: Boolean(p.dry_run),
  };
}

/** Newest first, each decision once (an event may repeat a row loaded over HTTP). */
export function mergeFeed(rows: FeedRow[], incoming: FeedRow[], max = 200): FeedRow[] {
  const seen = new Set<string>();
  const out: FeedRow[] = [];
  for (const row of [...incoming, ...rows]) {
    if (!row.decision_id || seen.has(row.decision_id)) continue;
    seen.add(row.decision_id);
    out.push(row);
  }
  out.sort((a, b) => (b.time ?? "").localeCompare(a.time ?? ""));
  return out.slice(0, max);
}

export function DecisionFeed({ rows }: { rows: FeedRow[] }) {
  const [open, setOpen] = useState<string | null>(null);
  if (rows.length === 0) {
    return (
      <Text c="dimmed" size="sm" data-testid="decision-feed-empty">
        No decisions yet. Orders placed on this account appear here as they are checked.
      </Text>
    );
  }
  return (
    <>
    {open && <DecisionDetail decisionId={open} onClose={() => setOpen(null)} />}
    <Table.ScrollContainer minWidth={420} mah={420}>
      <Table striped highlightOnHover data-testid="decision-feed">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Time (UTC)</Table.Th>
            <Table.Th>Order</Table.Th>
            <Table.Th>Decision and reason codes</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr
              key={r.decision_id}
              data-testid="decision-row"
              data-decision={r.decision}
              onClick={() => setOpen(r.decision_id)}
              style={{ cursor: "pointer" }}
              title="Show every check of this decision"
            >
              <Table.Td>
                <Text size="xs">{formatDateTime(r.time)}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">
                  {r.side} {r.quantity} {r.instrument_id}
                </Text>
                <Text size="xs" c="dimmed" ff="monospace" lineClamp={1} title={r.client_order_id}>
                  {r.client_order_id}
                </Text>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  <Badge color={r.decision === "ALLOW" ? "green" : "red"} variant="light">
                    {r.decision}
                    {r.dry_run ? " (check)" : ""}
                  </Badge>
                  {r.reasons.map((reason, i) => (
                    <Badge
                      key={reason + i}
                      color="red"
                      variant="outline"
                      size="sm"
                      title={r.messages[i] ?? ""}
                      data-testid="decision-reason"
                    >
                      {reason}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
    </>
  );
}
