import { Button, Card, Group, NumberInput, Select, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useEffect, useState } from "react";
import type { FormEvent } from "react";
import { type Deployment, deploymentsApi } from "../deployments";
import { newRequestId } from "../format";
import { registry } from "../registry";
import { riskApi } from "../risk";
import { useApi } from "../useApi";
import { ErrorAlert } from "./Feedback";

/** Starts a paper deployment of a model version; `modelId`/`version` preselect one (the
 * "Deploy to paper" link of the model page). */
export function DeploymentForm({
  modelId = "",
  version = null,
  onCreated,
}: {
  modelId?: string;
  version?: number | null;
  onCreated: (deployment: Deployment) => void;
}) {
  const models = useApi((signal) => registry.listModels(signal), []);
  const accounts = useApi((signal) => riskApi.listAccounts(signal), []);
  const [model, setModel] = useState<string | null>(modelId || null);
  const [modelVersion, setModelVersion] = useState<number | string>(version ?? "");
  const [account, setAccount] = useState<string | null>(null);
  const [instruments, setInstruments] = useState("");
  const [barSource, setBarSource] = useState("");
  const [barInterval, setBarInterval] = useState<number | string>(60);
  const [maxPosition, setMaxPosition] = useState("");
  const [maxOrder, setMaxOrder] = useState("");
  const [fraction, setFraction] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  const paper = (accounts.data?.accounts ?? []).filter((a) => a.mode === "PAPER");
  useEffect(() => {
    if (!account && paper.length > 0) setAccount(paper[0].id);
  }, [account, paper]);
  useEffect(() => {
    // A chosen model without a version: its latest one.
    const chosen = models.data?.models.find((m) => m.id === model);
    if (chosen && modelVersion === "") setModelVersion(chosen.latest_version);
  }, [model, models.data, modelVersion]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!model || !account) return;
    setBusy(true);
    setError(null);
    try {
      const created = await deploymentsApi.create({
        model_id: model,
        model_version: Number(modelVersion),
        account_id: account,
        instruments: instruments
          .split(/[\s,]+/)
          .map((s) => s.trim())
          .filter(Boolean),
        bar_source: barSource.trim(),
        bar_interval_seconds: Number(barInterval),
        mode: "paper",
        limits: {
          max_position_quantity: maxPosition.trim(),
          max_order_quantity: maxOrder.trim(),
          capital_fraction: fraction.trim(),
        },
        request_id: newRequestId(),
      });
      onCreated(created);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card withBorder component="form" onSubmit={submit} data-testid="deployment-form">
      <Stack gap="sm">
        <Text fw={600}>Deploy a model version to paper</Text>
        <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
          <Select
            label="Model"
            placeholder="registered model"
            data={(models.data?.models ?? []).map((m) => ({ value: m.id, label: m.name }))}
            value={model}
            onChange={(value) => {
              setModel(value);
              setModelVersion("");
            }}
            searchable
            required
          />
          <NumberInput label="Version" min={1} value={modelVersion} onChange={setModelVersion} required />
          <Select
            label="Paper account"
            placeholder={paper.length ? "account" : "open one on the risk console"}
            data={paper.map((a) => ({ value: a.id, label: a.name }))}
            value={account}
            onChange={setAccount}
            required
          />
          <TextInput
            label="Instruments"
            description="In the model's asset order, comma separated"
            value={instruments}
            onChange={(e) => setInstruments(e.currentTarget.value)}
            required
          />
          <TextInput
            label="Bar source"
            description="Redis bar stream; empty = platform bars"
            value={barSource}
            onChange={(e) => setBarSource(e.currentTarget.value)}
          />
          <NumberInput
            label="Bar interval (s)"
            min={1}
            max={7 * 86_400}
            value={barInterval}
            onChange={setBarInterval}
            required
          />
          <TextInput
            label="Max position quantity"
            description="Empty = no limit"
            value={maxPosition}
            onChange={(e) => setMaxPosition(e.currentTarget.value)}
          />
          <TextInput
            label="Max order quantity"
            description="Empty = no limit"
            value={maxOrder}
            onChange={(e) => setMaxOrder(e.currentTarget.value)}
          />
          <TextInput
            label="Capital fraction"
            description="Of account equity, in (0, 1]; empty = 1"
            value={fraction}
            onChange={(e) => setFraction(e.currentTarget.value)}
          />
        </SimpleGrid>
        {error && <ErrorAlert error={error} title="Deployment refused" />}
        <Group>
          <Button type="submit" loading={busy} disabled={!model || !account || !instruments.trim()}>
            Start deployment
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}
