import { Table, Text } from "@mantine/core";
import type { Position } from "../../risk";
import { formatDecimal, pnlColor } from "../../risk";

export function PositionsTable({ positions }: { positions: Position[] }) {
  if (positions.length === 0) {
    return (
      <Text c="dimmed" size="sm" data-testid="positions-empty">
        Flat: no open positions.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table striped data-testid="positions-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Instrument</Table.Th>
            <Table.Th ta="right">Quantity</Table.Th>
            <Table.Th ta="right">Avg price</Table.Th>
            <Table.Th ta="right">Market</Table.Th>
            <Table.Th ta="right">Value</Table.Th>
            <Table.Th ta="right">Unrealized</Table.Th>
            <Table.Th ta="right">Realized</Table.Th>
            <Table.Th ta="right">Working buy / sell</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {positions.map((p) => (
            <Table.Tr key={p.instrument_id} data-testid="position-row">
              <Table.Td>{p.instrument_id}</Table.Td>
              <Table.Td ta="right">{p.quantity}</Table.Td>
              <Table.Td ta="right">{formatDecimal(p.average_price, 4)}</Table.Td>
              <Table.Td ta="right">{formatDecimal(p.market_price, 4)}</Table.Td>
              <Table.Td ta="right">{formatDecimal(p.market_value)}</Table.Td>
              <Table.Td ta="right">
                <Text size="sm" c={pnlColor(p.unrealized_pnl)}>
                  {formatDecimal(p.unrealized_pnl)}
                </Text>
              </Table.Td>
              <Table.Td ta="right">
                <Text size="sm" c={pnlColor(p.realized_pnl)}>
                  {formatDecimal(p.realized_pnl)}
                </Text>
              </Table.Td>
              <Table.Td ta="right">
                {p.working_buy_quantity || "0"} / {p.working_sell_quantity || "0"}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
