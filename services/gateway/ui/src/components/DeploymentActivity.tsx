import { Table, Text } from "@mantine/core";
import type { DeploymentOrder, Fill } from "../deployments";
import { formatDateTime } from "../format";
import { formatDecimal } from "../risk";
import { StateBadge } from "./StateBadge";

/** The deployment's recent orders at the risk service (newest first). */
export function DeploymentOrders({ orders }: { orders: DeploymentOrder[] }) {
  if (orders.length === 0) {
    return (
      <Text c="dimmed" size="sm" data-testid="deployment-orders-empty">
        No orders from this deployment yet.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table striped data-testid="deployment-orders">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Placed (UTC)</Table.Th>
            <Table.Th>Instrument</Table.Th>
            <Table.Th>Side</Table.Th>
            <Table.Th ta="right">Qty</Table.Th>
            <Table.Th ta="right">Filled @ avg price</Table.Th>
            <Table.Th>Status</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {orders.map((o) => (
            <Table.Tr key={o.client_order_id} data-testid="deployment-order-row">
              <Table.Td>{formatDateTime(o.created_at)}</Table.Td>
              <Table.Td ff="monospace">{o.instrument_id}</Table.Td>
              <Table.Td>{o.side}</Table.Td>
              <Table.Td ta="right">{formatDecimal(o.quantity, 6)}</Table.Td>
              <Table.Td ta="right">
                {formatDecimal(o.filled_quantity, 6)} @ {formatDecimal(o.average_fill_price, 4)}
              </Table.Td>
              <Table.Td>
                <StateBadge state={o.status} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Fills of the deployment's orders (newest first). */
export function DeploymentFills({ fills }: { fills: Fill[] }) {
  if (fills.length === 0) {
    return (
      <Text c="dimmed" size="sm" data-testid="deployment-fills-empty">
        No fills yet.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table striped data-testid="deployment-fills">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Bar time (market)</Table.Th>
            <Table.Th>Instrument</Table.Th>
            <Table.Th>Side</Table.Th>
            <Table.Th ta="right">Qty</Table.Th>
            <Table.Th ta="right">Price</Table.Th>
            <Table.Th ta="right">Fee</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {fills.map((f) => (
            <Table.Tr key={f.fill_id} data-testid="deployment-fill-row">
              <Table.Td>{formatDateTime(f.time)}</Table.Td>
              <Table.Td ff="monospace">{f.instrument_id}</Table.Td>
              <Table.Td>{f.side}</Table.Td>
              <Table.Td ta="right">{formatDecimal(f.quantity, 6)}</Table.Td>
              <Table.Td ta="right">{formatDecimal(f.price, 4)}</Table.Td>
              <Table.Td ta="right">{formatDecimal(f.fee, 4)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
