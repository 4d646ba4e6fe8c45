import {
  Alert,
  Button,
  Card,
  Group,
  NumberInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
} from "@mantine/core";
import { useEffect, useMemo, useState } from "react";
import type { FormEvent } from "react";
import { useNavigate } from "react-router";
import { ApiError, api } from "../api";
import type { Baseline, BacktestInput } from "../api";
import { formatDateTime, newRequestId } from "../format";
import { useApi } from "../useApi";

const BASELINES: { value: Baseline; label: string }[] = [
  { value: "buy_and_hold", label: "Buy and hold" },
  { value: "equal_weight", label: "Equal weight (rebalanced every bar)" },
  { value: "cash", label: "Cash" },
];

type Source = "baseline" | "job";

/** Launches a backtest of a baseline or of a SUCCEEDED training job, then opens its page. */
export function BacktestForm({ initialJobId }: { initialJobId: string }) {
  const navigate = useNavigate();
  const [source, setSource] = useState<Source>(initialJobId ? "job" : "baseline");
  const [baseline, setBaseline] = useState<Baseline>("buy_and_hold");
  const [jobId, setJobId] = useState<string | null>(initialJobId || null);
  const [datasetId, setDatasetId] = useState<string | null>(null);
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [feeRate, setFeeRate] = useState<number | string>(0.001);
  const [fixedFee, setFixedFee] = useState<number | string>(0);
  const [cash, setCash] = useState<number | string>(1_000_000);
  const [failure, setFailure] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const [requestId] = useState(newRequestId);

  const datasets = useApi((signal) => api.listDatasets("", 500, signal), []);
  const jobs = useApi(
    (signal) => api.listJobs({ state: ["SUCCEEDED"], page_size: 100 }, signal),
    [],
  );
  const strategies = useApi((signal) => api.listStrategies("", 200, signal), []);
  const names = useMemo(
    () => new Map((strategies.data?.strategies ?? []).map((s) => [s.id, s])),
    [strategies.data],
  );

  // A trained job is tested on its strategy's dataset unless the user picks another.
  useEffect(() => {
    if (source !== "job" || !jobId) return;
    const job = jobs.data?.jobs.find((j) => j.id === jobId);
    const strategy = job ? names.get(job.strategy_id) : undefined;
    if (strategy?.dataset_id) setDatasetId(strategy.dataset_id);
  }, [source, jobId, jobs.data, names]);

  useEffect(() => {
    const first = datasets.data?.datasets[0];
    if (!datasetId && first && source === "baseline") setDatasetId(first.id);
  }, [datasets.data, datasetId, source]);

  const datasetOptions = (datasets.data?.datasets ?? []).map((d) => ({
    value: d.id,
    label: d.name ? `${d.name} (${d.id})` : d.id,
  }));
  const jobOptions = (jobs.data?.jobs ?? []).map((j) => ({
    value: j.id,
    label: `${names.get(j.strategy_id)?.name ?? j.strategy_id.slice(0, 8)} · ${j.id.slice(0, 8)} · ${formatDateTime(j.ended_at)}`,
  }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!datasetId) {
      setFailure(new Error("Choose a dataset."));
      return;
    }
    const input: BacktestInput = {
      dataset_id: datasetId,
      initial_cash: Number(cash),
      fee_rate: Number(feeRate) || 0,
      fixed_fee: Number(fixedFee) || 0,
      request_id: requestId,
    };
    if (source === "baseline") input.baseline = baseline;
    else if (jobId) input.training_job_id = jobId;
    else {
      setFailure(new Error("Choose a trained job."));
      return;
    }
    if (start) input.start = `${start}T00:00:00Z`;
    if (end) input.end = `${end}T00:00:00Z`;
    setBusy(true);
    setFailure(null);
    try {
      const created = await api.createBacktest(input);
      navigate(`/backtests/${created.id}`);
    } catch (e) {
      setFailure(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  const violations = failure instanceof ApiError ? failure.fieldViolations : [];
  return (
    <Card withBorder>
      <form onSubmit={submit} noValidate data-testid="backtest-form">
        <Stack>
          <Group justify="space-between">
            <Text fw={600}>New backtest</Text>
            <SegmentedControl
              data={[
                { value: "baseline", label: "Baseline" },
                { value: "job", label: "Trained job" },
              ]}
              value={source}
              onChange={(v) => setSource(v as Source)}
            />
          </Group>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {source === "baseline" ? (
              <Select
                label="Baseline"
                data={BASELINES}
                value={baseline}
                allowDeselect={false}
                onChange={(v) => v && setBaseline(v as Baseline)}
              />
            ) : (
              <Select
                label="Trained job"
                placeholder={jobOptions.length ? "Pick a succeeded job" : "No succeeded jobs yet"}
                data={jobOptions}
                value={jobId}
                searchable
                onChange={setJobId}
              />
            )}
            <Select
              label="Dataset"
              data={datasetOptions}
              value={datasetId}
              searchable
              allowDeselect={false}
              onChange={setDatasetId}
            />
            <TextInput
              label="From"
              type="date"
              value={start}
              onChange={(e) => setStart(e.currentTarget.value)}
            />
            <TextInput
              label="To (exclusive)"
              type="date"
              value={end}
              onChange={(e) => setEnd(e.currentTarget.value)}
            />
            <NumberInput
              label="Fee rate"
              description="Fraction of traded value, e.g. 0.001 = 10 bps"
              min={0}
              max={0.99}
              step={0.0005}
              decimalScale={6}
              value={feeRate}
              onChange={setFeeRate}
            />
            <NumberInput
              label="Fixed fee"
              description="Per fill, in cash units"
              min={0}
              value={fixedFee}
              onChange={setFixedFee}
            />
            <NumberInput
              label="Initial cash"
              min={1}
              thousandSeparator=","
              value={cash}
              onChange={setCash}
            />
          </SimpleGrid>
          {failure && (
            <Alert color="red" title="Not started" data-testid="backtest-error">
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
              Run backtest
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
