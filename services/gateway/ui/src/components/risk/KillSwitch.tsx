import { Alert, Button, Checkbox, Group, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useState } from "react";
import { ErrorAlert } from "../Feedback";
import { riskApi } from "../../risk";
import type { Account, KillResult } from "../../risk";

function ms(value: number | null): string {
  return value === null ? "—" : `${value.toFixed(1)} ms`;
}

/** The account's kill switch: a red button, then a confirmation with a required reason. */
export function KillSwitch({
  account,
  workingOrders,
  onDone,
}: {
  account: Account;
  workingOrders: number;
  onDone: () => void;
}) {
  const [opened, setOpened] = useState(false);
  const [reason, setReason] = useState("");
  const [flatten, setFlatten] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [result, setResult] = useState<KillResult | null>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      setResult(await riskApi.kill(account.id, reason.trim(), flatten));
      setOpened(false);
      setReason("");
      onDone();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button color="red" onClick={() => setOpened(true)} data-testid="kill-switch">
        Kill switch
      </Button>
      {result && (
        <Alert
          color="red"
          title="Kill switch engaged"
          withCloseButton
          onClose={() => setResult(null)}
          data-testid="kill-result"
        >
          HALTED in {ms(result.halt_ms)}; {result.cancels_acknowledged} of {result.working_orders}{" "}
          working order(s) cancelled
          {result.cancels_failed > 0 ? `, ${result.cancels_failed} still pending cancel` : ""}
          {result.flatten_orders_submitted > 0
            ? `; ${result.flatten_orders_submitted} flatten order(s) sent`
            : ""}
          .
        </Alert>
      )}
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title={`Halt ${account.name}?`}
        centered
      >
        <Stack data-testid="kill-confirm">
          <Text size="sm">
            The account goes to <b>HALTED</b>: new orders are refused (reduce-only exits still
            pass the checks), and its {workingOrders} working order(s) are cancelled at the venue.
            Only a risk officer or admin can set it ACTIVE again.
          </Text>
          <TextInput
            label="Reason"
            description="Recorded in the audit trail."
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            data-autofocus
            required
          />
          <Checkbox
            label="Also flatten positions (reduce-only market orders)"
            checked={flatten}
            onChange={(e) => setFlatten(e.currentTarget.checked)}
          />
          {error && <ErrorAlert error={error} title="Kill switch failed" />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              Keep trading
            </Button>
            <Button
              color="red"
              disabled={!reason.trim()}
              loading={busy}
              onClick={() => void confirm()}
            >
              Halt account and cancel orders
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
