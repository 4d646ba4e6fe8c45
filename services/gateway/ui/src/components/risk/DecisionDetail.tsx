import { Badge, Code, Modal, SimpleGrid, Stack, Table, Text } from "@mantine/core";
import { ErrorAlert, Loading } from "../Feedback";
import { formatDateTime } from "../../format";
import { riskApi } from "../../risk";
import type { Decision } from "../../risk";
import { useApi } from "../../useApi";

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm">{value || "—"}</Text>
    </div>
  );
}

function Body({ d }: { d: Decision }) {
  const o = d.order;
  return (
    <Stack gap="sm" data-testid="decision-detail">
      <SimpleGrid cols={3}>
        <Fact label="Order" value={o ? `${o.side} ${o.quantity} ${o.instrument_id}` : ""} />
        <Fact label="Limit price" value={o?.limit_price || "market"} />
        <Fact label="Decided (UTC)" value={formatDateTime(d.decided_at)} />
        <Fact label="Actor" value={d.actor} />
        <Fact label="Trading state" value={d.trading_state} />
        <Fact label="Limits version" value={String(d.limits_version)} />
        <Fact
          label="Reference price (age)"
          value={
            d.reference_price
              ? `${d.reference_price} (${d.reference_price_age_ms?.toFixed(0) ?? "?"} ms)`
              : ""
          }
        />
        <Fact label="Position before → after" value={`${d.position_before} → ${d.position_after}`} />
        <Fact
          label="Gross exposure before → after"
          value={`${d.gross_exposure_before} → ${d.gross_exposure_after}`}
        />
      </SimpleGrid>
      <Table data-testid="decision-checks">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Check</Table.Th>
            <Table.Th>Result</Table.Th>
            <Table.Th ta="right">Value</Table.Th>
            <Table.Th ta="right">Limit</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {d.checks.map((c, i) => (
            <Table.Tr key={c.check + i}>
              <Table.Td>{c.check.replace(/_/g, " ")}</Table.Td>
              <Table.Td>
                <Badge color={c.passed ? "green" : "red"} variant="light" size="sm">
                  {c.passed ? "pass" : c.reason}
                </Badge>
              </Table.Td>
              <Table.Td ta="right">{c.value || "—"}</Table.Td>
              <Table.Td ta="right">{c.limit || "—"}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {d.violations.map((v) => (
        <Text size="sm" key={v.reason}>
          <b>{v.reason}</b>: {v.message}
        </Text>
      ))}
      <Text size="xs" c="dimmed">
        Audit entry #{d.sequence}, checked in {d.check_latency_us?.toFixed(0) ?? "?"} µs
      </Text>
      <Code block>{`prev_hash  ${d.prev_hash}\nentry_hash ${d.entry_hash}`}</Code>
    </Stack>
  );
}

/** The audited decision behind a feed row: every check with its value and limit. */
export function DecisionDetail({ decisionId, onClose }: { decisionId: string; onClose: () => void }) {
  const detail = useApi((signal) => riskApi.getDecision(decisionId, signal), [decisionId]);
  return (
    <Modal opened onClose={onClose} title="Decision" size="lg" centered>
      {detail.error && <ErrorAlert error={detail.error} />}
      {detail.loading && !detail.data && <Loading label="Loading decision…" />}
      {detail.data && <Body d={detail.data} />}
    </Modal>
  );
}
