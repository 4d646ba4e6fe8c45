import { Button, Card, Group, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useState } from "react";
import type { FormEvent } from "react";
import { ErrorAlert } from "../Feedback";
import { newRequestId } from "../../format";
import { formatDecimal, pnlColor, riskApi } from "../../risk";
import type { Account } from "../../risk";

function Figure({ label, value, color, testId }: {
  label: string;
  value: string;
  color?: string;
  testId?: string;
}) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="lg" fw={600} c={color} data-testid={testId}>
        {value}
      </Text>
    </div>
  );
}

/** Equity, cash and P&L of one account (decimal strings from the risk service). */
export function AccountFigures({ account }: { account: Account }) {
  const ccy = account.base_currency;
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, md: 6 }} data-testid="account-figures">
      <Figure label={`Equity (${ccy})`} value={formatDecimal(account.equity)} testId="equity" />
      <Figure label="Cash" value={formatDecimal(account.cash)} testId="cash" />
      <Figure
        label="P&L since open"
        value={formatDecimal(account.pnl)}
        color={pnlColor(account.pnl)}
        testId="pnl"
      />
      <Figure label="P&L today" value={formatDecimal(account.day_pnl)} color={pnlColor(account.day_pnl)} />
      <Figure
        label="Realized / unrealized"
        value={`${formatDecimal(account.realized_pnl)} / ${formatDecimal(account.unrealized_pnl)}`}
      />
      <Figure label="High-water mark" value={formatDecimal(account.high_water_mark)} />
    </SimpleGrid>
  );
}

/** Opens a paper account and hands it to `onCreated`. */
export function NewAccountForm({ onCreated }: { onCreated: (account: Account) => void }) {
  const [name, setName] = useState("");
  const [cash, setCash] = useState("100000");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [requestId, setRequestId] = useState(newRequestId);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const account = await riskApi.createAccount({
        name: name.trim(),
        initial_cash: cash.trim(),
        request_id: requestId,
      });
      setName("");
      setRequestId(newRequestId());
      onCreated(account);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card withBorder>
      <form onSubmit={(e) => void submit(e)} data-testid="new-account-form">
        <Stack gap="xs">
          <Text fw={600}>New paper account</Text>
          <Group align="flex-end">
            <TextInput
              label="Account name"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              required
            />
            <TextInput
              label="Initial cash"
              value={cash}
              onChange={(e) => setCash(e.currentTarget.value)}
              required
            />
            <Button type="submit" loading={busy}>
              Open account
            </Button>
          </Group>
          {error && <ErrorAlert error={error} title="Account not opened" />}
        </Stack>
      </form>
    </Card>
  );
}
