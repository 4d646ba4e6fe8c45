import { Button, Checkbox, Group, Modal, Stack, Text } from "@mantine/core";
import { useState } from "react";
import { type Deployment, deploymentsApi } from "../deployments";

/** Pause / resume / stop (optionally flattening through the risk path), each enabled only when
 * the trainer's transition table allows it now (`allowed_actions`). */
export function DeploymentControls({
  deployment,
  onChanged,
  onError,
  size = "xs",
}: {
  deployment: Deployment;
  onChanged: (d: Deployment) => void;
  onError: (e: Error) => void;
  size?: "xs" | "compact-xs";
}) {
  const [confirming, setConfirming] = useState(false);
  const [flatten, setFlatten] = useState(true);
  const [busy, setBusy] = useState(false);
  const allowed = new Set(deployment.allowed_actions);
  const run = async (work: () => Promise<Deployment>) => {
    setBusy(true);
    try {
      onChanged(await work());
    } catch (e) {
      onError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Group gap={4} wrap="nowrap">
      <Button
        size={size}
        variant="default"
        disabled={busy || !allowed.has("pause")}
        onClick={() => run(() => deploymentsApi.pause(deployment.id))}
        data-testid="deployment-pause"
      >
        Pause
      </Button>
      <Button
        size={size}
        variant="default"
        disabled={busy || !allowed.has("resume")}
        onClick={() => run(() => deploymentsApi.resume(deployment.id))}
        data-testid="deployment-resume"
      >
        Resume
      </Button>
      <Button
        size={size}
        color="red"
        variant="light"
        disabled={busy || !allowed.has("cancel")}
        onClick={() => setConfirming(true)}
        data-testid="deployment-stop"
      >
        Stop
      </Button>
      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Stop the deployment">
        <Stack>
          <Text size="sm">
            The runner ends and places no further orders. Flattening closes the positions of its
            instruments ({deployment.instruments.join(", ")}) with reduce-only market orders
            through the risk service first.
          </Text>
          <Checkbox
            label="Flatten positions"
            checked={flatten}
            onChange={(e) => setFlatten(e.currentTarget.checked)}
          />
          <Group justify="end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Keep running
            </Button>
            <Button
              color="red"
              onClick={() => {
                setConfirming(false);
                void run(() => deploymentsApi.stop(deployment.id, flatten));
              }}
            >
              Stop deployment
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Group>
  );
}
