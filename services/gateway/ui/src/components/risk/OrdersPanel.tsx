import {
  Alert,
  Button,
  Checkbox,
  Group,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
} from "@mantine/core";
import { useState } from "react";
import type { FormEvent } from "react";
import { ErrorAlert } from "../Feedback";
import { formatDateTime, newRequestId } from "../../format";
import { riskApi } from "../../risk";
import type { Order, OrderResult, OrderType, Side } from "../../risk";

/** Working orders of the account, each with a cancel button. */
export function WorkingOrders({
  accountId,
  orders,
  onChanged,
}: {
  accountId: string;
  orders: Order[];
  onChanged: () => void;
}) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);

  async function cancel(id: string) {
    setBusy(id);
    setError(null);
    try {
      await riskApi.cancelOrder(accountId, id);
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(null);
    }
  }

  return (
    <Stack gap="xs">
      {error && <ErrorAlert error={error} title="Not cancelled" />}
      {orders.length === 0 ? (
        <Text c="dimmed" size="sm" data-testid="working-orders-empty">
          No working orders.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={480}>
          <Table striped data-testid="working-orders">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Order</Table.Th>
                <Table.Th>Side</Table.Th>
                <Table.Th ta="right">Filled / qty</Table.Th>
                <Table.Th ta="right">Limit</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {orders.map((o) => (
                <Table.Tr key={o.client_order_id} data-testid="working-order-row">
                  <Table.Td>
                    <Text size="sm">{o.instrument_id}</Text>
                    <Text
                      size="xs"
                      c="dimmed"
                      ff="monospace"
                      lineClamp={1}
                      title={`${o.client_order_id}, placed ${formatDateTime(o.created_at)}`}
                    >
                      {o.client_order_id}
                    </Text>
                  </Table.Td>
                  <Table.Td>{o.side}</Table.Td>
                  <Table.Td ta="right">
                    {o.filled_quantity || "0"} / {o.quantity}
                  </Table.Td>
                  <Table.Td ta="right">{o.limit_price || "market"}</Table.Td>
                  <Table.Td>
                    <Text size="xs" fw={500}>
                      {o.status.replace("_", " ")}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Button
                      size="compact-xs"
                      variant="default"
                      loading={busy === o.client_order_id}
                      disabled={o.status === "PENDING_CANCEL"}
                      onClick={() => void cancel(o.client_order_id)}
                    >
                      Cancel
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

/** Places one order through the risk check; shows the decision with its reason codes. */
export function OrderTicket({ accountId, onPlaced }: { accountId: string; onPlaced: () => void }) {
  const [instrument, setInstrument] = useState("");
  const [side, setSide] = useState<Side>("BUY");
  const [type, setType] = useState<OrderType>("MARKET");
  const [quantity, setQuantity] = useState("");
  const [limitPrice, setLimitPrice] = useState("");
  const [reduceOnly, setReduceOnly] = useState(false);
  const [result, setResult] = useState<OrderResult | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setResult(
        await riskApi.submitOrder(accountId, {
          client_order_id: `ui-${newRequestId()}`,
          instrument_id: instrument.trim(),
          side,
          order_type: type,
          quantity: quantity.trim(),
          limit_price: type === "LIMIT" ? limitPrice.trim() : null,
          time_in_force: type === "LIMIT" ? "GTC" : "DAY",
          reduce_only: reduceOnly,
        }),
      );
      onPlaced();
    } catch (e) {
      setResult(null);
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  const decision = result?.decision;
  return (
    <form onSubmit={(e) => void submit(e)} data-testid="order-ticket">
      <Stack gap="xs">
        <Group grow align="flex-end">
          <TextInput
            label="Instrument"
            value={instrument}
            onChange={(e) => setInstrument(e.currentTarget.value)}
            required
          />
          <TextInput
            label="Quantity"
            value={quantity}
            onChange={(e) => setQuantity(e.currentTarget.value)}
            required
          />
          {type === "LIMIT" && (
            <TextInput
              label="Limit price"
              value={limitPrice}
              onChange={(e) => setLimitPrice(e.currentTarget.value)}
              required
            />
          )}
        </Group>
        <Group>
          <SegmentedControl
            value={side}
            onChange={(v) => setSide(v as Side)}
            data={["BUY", "SELL"]}
            aria-label="Side"
          />
          <SegmentedControl
            value={type}
            onChange={(v) => setType(v as OrderType)}
            data={["MARKET", "LIMIT"]}
            aria-label="Order type"
          />
          <Checkbox
            label="Reduce only"
            checked={reduceOnly}
            onChange={(e) => setReduceOnly(e.currentTarget.checked)}
          />
          <Button type="submit" loading={busy}>
            Place order
          </Button>
        </Group>
        {error && <ErrorAlert error={error} title="Order not accepted" />}
        {decision && (
          <Alert
            color={decision.decision === "ALLOW" ? "green" : "red"}
            title={`${decision.decision}${result?.replayed ? " (replayed)" : ""}`}
            data-testid="order-result"
          >
            {decision.violations.length === 0
              ? `Order ${result?.order?.client_order_id ?? ""} is ${result?.order?.status ?? ""}.`
              : decision.violations.map((v) => (
                  <Text size="sm" key={v.reason}>
                    <b>{v.reason}</b>: {v.message}
                  </Text>
                ))}
          </Alert>
        )}
      </Stack>
    </form>
  );
}
