import {
  Alert,
  Button,
  Checkbox,
  Group,
  NumberInput,
  SegmentedControl,
  Stack,
  Text,
} from "@mantine/core";
import { useState } from "react";
import type { FormEvent } from "react";
import { useNavigate } from "react-router";
import { ApiError, api } from "../api";
import type { Strategy } from "../api";
import { newRequestId } from "../format";

function configSteps(strategy: Strategy): number {
  const training = strategy.config.training as { total_steps?: unknown } | undefined;
  return typeof training?.total_steps === "number" ? training.total_steps : 10_000;
}

/** Starts a training job of `strategy` and opens its monitor page. */
export function TrainJobForm({ strategy }: { strategy: Strategy }) {
  const navigate = useNavigate();
  const [steps, setSteps] = useState<number | string>(configSteps(strategy));
  const [seed, setSeed] = useState<number | string>(0);
  const [device, setDevice] = useState("cpu");
  const [cpus, setCpus] = useState<number | string>(0);
  const [gpuRequired, setGpuRequired] = useState(false);
  const [failure, setFailure] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const [requestId] = useState(newRequestId);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const job = await api.createJob({
        strategy_id: strategy.id,
        total_steps: Number(steps) || 0,
        seed: Number(seed) || 0,
        resources: {
          num_cpus: Number(cpus) || 0,
          num_gpus: device === "gpu" ? 1 : 0,
          gpu_required: device === "gpu" && gpuRequired,
        },
        request_id: requestId,
      });
      navigate(`/jobs/${job.id}`);
    } catch (e) {
      setFailure(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  const violations = failure instanceof ApiError ? failure.fieldViolations : [];
  return (
    <form onSubmit={submit} noValidate data-testid="train-form">
      <Stack>
        <Text size="sm" c="dimmed">
          Trains version {strategy.version}, the latest saved; save edits first.
        </Text>
        <NumberInput
          label="Total steps"
          description="Environment steps to train for"
          min={1}
          step={1000}
          thousandSeparator=","
          value={steps}
          onChange={setSteps}
        />
        <NumberInput
          label="Seed"
          description="0 lets the server choose one (recorded with the run)"
          min={0}
          value={seed}
          onChange={setSeed}
        />
        <div>
          <Text size="sm" fw={500} mb={4}>
            Device
          </Text>
          <SegmentedControl
            data={[
              { value: "cpu", label: "CPU" },
              { value: "gpu", label: "GPU" },
            ]}
            value={device}
            onChange={setDevice}
          />
        </div>
        <NumberInput
          label="CPUs"
          description="0 = the trainer's default"
          min={0}
          value={cpus}
          onChange={setCpus}
        />
        {device === "gpu" && (
          <Checkbox
            label="Wait for a GPU (otherwise fall back to CPU)"
            checked={gpuRequired}
            onChange={(e) => setGpuRequired(e.currentTarget.checked)}
          />
        )}
        {failure && (
          <Alert color="red" title="Not started" data-testid="train-error">
            <Text size="sm">{failure.message}</Text>
            {violations.map((v) => (
              <Text size="xs" key={v.field + v.description}>
                <b>{v.field}</b>: {v.description}
              </Text>
            ))}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={busy}>
            Start training
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
