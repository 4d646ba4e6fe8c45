import { Table, Text } from "@mantine/core";
import { StateBadge } from "../StateBadge";
import { formatDecimal, pnlColor } from "../../risk";
import type { Account } from "../../risk";

/** Every visible account with equity and P&L; a click selects one. */
export function AccountsTable({
  accounts,
  selected,
  onSelect,
}: {
  accounts: Account[];
  selected: string;
  onSelect: (id: string) => void;
}) {
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table highlightOnHover data-testid="accounts-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Account</Table.Th>
            <Table.Th>Mode</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th ta="right">Equity</Table.Th>
            <Table.Th ta="right">Cash</Table.Th>
            <Table.Th ta="right">P&amp;L since open</Table.Th>
            <Table.Th ta="right">P&amp;L today</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {accounts.map((a) => (
            <Table.Tr
              key={a.id}
              onClick={() => onSelect(a.id)}
              style={{ cursor: "pointer" }}
              bg={a.id === selected ? "var(--mantine-color-blue-light)" : undefined}
              data-testid="account-row"
            >
              <Table.Td>
                <Text size="sm" fw={500}>
                  {a.name}
                </Text>
                <Text size="xs" c="dimmed" ff="monospace">
                  {a.id.slice(0, 8)}
                </Text>
              </Table.Td>
              <Table.Td>{a.mode}</Table.Td>
              <Table.Td>
                <StateBadge state={a.trading_state} />
              </Table.Td>
              <Table.Td ta="right">
                {formatDecimal(a.equity)} {a.base_currency}
              </Table.Td>
              <Table.Td ta="right">{formatDecimal(a.cash)}</Table.Td>
              <Table.Td ta="right">
                <Text size="sm" c={pnlColor(a.pnl)}>
                  {formatDecimal(a.pnl)}
                </Text>
              </Table.Td>
              <Table.Td ta="right">
                <Text size="sm" c={pnlColor(a.day_pnl)}>
                  {formatDecimal(a.day_pnl)}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
