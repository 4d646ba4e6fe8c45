import {
  Alert,
  Anchor,
  Button,
  Card,
  Code,
  Group,
  Modal,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Textarea,
  Title,
} from "@mantine/core";
import { useEffect, useMemo, useState } from "react";
import type { FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError, TASKS, api } from "../api";
import type { Config, FieldViolation, Strategy, TaskName } from "../api";
import { ConfigForm, setPath } from "../components/ConfigForm";
import { ErrorAlert, Loading } from "../components/Feedback";
import { TrainJobForm } from "../components/TrainJobForm";
import { newRequestId, taskLabel } from "../format";
import { useSession } from "../session";
import { useApi } from "../useApi";

/** Server field paths (`config.env.window`, `name`) → form keys (`env.window`, `name`). */
function errorsByField(violations: FieldViolation[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of violations) {
    const key = v.field.replace(/^strategy\./, "");
    out[key] = out[key] ? `${out[key]}; ${v.description}` : v.description;
    if (key.startsWith("config.")) out[key.slice("config.".length)] = out[key];
  }
  return out;
}

const TOP_FIELDS = ["name", "description", "task", "agent", "dataset_id"];

function StrategyForm({ existing }: { existing: Strategy | null }) {
  const navigate = useNavigate();
  const [name, setName] = useState(existing?.name ?? "");
  const [description, setDescription] = useState(existing?.description ?? "");
  const [task, setTask] = useState<TaskName>(existing?.task ?? "algorithmic_trading");
  const [agent, setAgent] = useState<string | null>(existing?.agent ?? null);
  const [datasetId, setDatasetId] = useState(existing?.dataset_id ?? "");
  const [config, setConfig] = useState<Config | null>(existing?.config ?? null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<Error | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [etag, setEtag] = useState(existing?.etag ?? "");
  const [requestId] = useState(newRequestId);

  const agents = useApi((signal) => api.agents(task, signal), [task]);
  const datasets = useApi((signal) => api.listDatasets("", 500, signal), []);
  const schema = useApi(
    (signal) => (agent ? api.configSchema(task, agent, signal) : Promise.resolve(null)),
    [task, agent],
  );

  useEffect(() => {
    const list = agents.data?.agents ?? [];
    if (!existing && list.length > 0 && !list.some((a) => a.agent === agent)) {
      setAgent(list[0].agent);
    }
  }, [agents.data, agent, existing]);

  useEffect(() => {
    if (!schema.data) return;
    const keep = existing && existing.task === task && existing.agent === agent;
    setConfig(keep ? existing.config : schema.data.default_config);
    setErrors({});
  }, [schema.data, existing, task, agent]);

  const datasetOptions = useMemo(
    () =>
      (datasets.data?.datasets ?? [])
        .filter((d) => d.tasks.includes(task))
        .map((d) => ({ value: d.id, label: d.name ? `${d.name} (${d.id})` : d.id })),
    [datasets.data, task],
  );

  function reportFailure(e: unknown) {
    const error = e instanceof Error ? e : new Error(String(e));
    setFailure(error);
    setErrors(error instanceof ApiError ? errorsByField(error.fieldViolations) : {});
  }

  async function validate() {
    if (!agent || !config) return;
    setBusy(true);
    setFailure(null);
    setNotice(null);
    try {
      const result = await api.validate(task, agent, datasetId, config);
      setErrors(errorsByField(result.violations));
      if (result.valid) setNotice("The config is valid.");
      else setFailure(new ApiError(400, "The config has invalid fields.", "", "", result.violations));
    } catch (e) {
      reportFailure(e);
    } finally {
      setBusy(false);
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!agent || !config) return;
    setBusy(true);
    setFailure(null);
    setNotice(null);
    try {
      if (existing) {
        const saved = await api.updateStrategy(existing.id, {
          etag,
          name,
          description,
          dataset_id: datasetId,
          config,
        });
        setEtag(saved.etag);
        setConfig(saved.config);
        setErrors({});
        setNotice(`Saved version ${saved.version}.`);
      } else {
        const created = await api.createStrategy({
          name,
          description,
          task,
          agent,
          dataset_id: datasetId,
          config,
          request_id: requestId,
        });
        navigate(`/strategies/${created.id}`, { replace: true });
      }
    } catch (e) {
      reportFailure(e);
    } finally {
      setBusy(false);
    }
  }

  const otherViolations =
    failure instanceof ApiError
      ? failure.fieldViolations.filter((v) => {
          const key = v.field.replace(/^strategy\./, "").replace(/^config\./, "");
          return !TOP_FIELDS.includes(key) && !document.querySelector(`[data-field="${key}"]`);
        })
      : [];

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Card withBorder>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Name"
              name="name"
              required
              value={name}
              error={errors.name}
              onChange={(e) => setName(e.currentTarget.value)}
            />
            <Select
              label="Dataset"
              name="dataset_id"
              placeholder="Choose later"
              data={datasetOptions}
              value={datasetId || null}
              clearable
              searchable
              error={errors.dataset_id}
              onChange={(v) => setDatasetId(v ?? "")}
            />
            <Select
              label="Task"
              name="task"
              data={TASKS.map((t) => ({ value: t, label: taskLabel(t) }))}
              value={task}
              disabled={Boolean(existing)}
              allowDeselect={false}
              error={errors.task}
              onChange={(v) => v && setTask(v as TaskName)}
            />
            <Select
              label="Agent"
              name="agent"
              data={(agents.data?.agents ?? []).map((a) => ({
                value: a.agent,
                label: a.display_name || a.agent,
              }))}
              value={agent}
              disabled={Boolean(existing)}
              allowDeselect={false}
              error={errors.agent}
              onChange={setAgent}
            />
          </SimpleGrid>
          <Textarea
            mt="sm"
            label="Description"
            name="description"
            autosize
            minRows={2}
            value={description}
            error={errors.description}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
        </Card>
        {agents.error && <ErrorAlert error={agents.error} title="Cannot list agents" />}
        {schema.error && <ErrorAlert error={schema.error} title="Cannot load the config schema" />}
        {schema.loading && <Loading label="Loading config schema…" />}
        {schema.data && config && !schema.loading && (
          <ConfigForm
            schema={schema.data.json_schema}
            value={config}
            errors={errors}
            onChange={(path, value) => setConfig((old) => setPath(old ?? {}, path, value))}
          />
        )}
        {failure && (
          <Alert color="red" title="Not saved" data-testid="form-error">
            <Text size="sm">{failure.message}</Text>
            {otherViolations.map((v) => (
              <Text size="xs" key={v.field}>
                <b>{v.field}</b>: {v.description}
              </Text>
            ))}
          </Alert>
        )}
        {notice && (
          <Alert color="green" data-testid="form-notice">
            {notice}
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={busy} disabled={!config}>
            {existing ? "Save" : "Create strategy"}
          </Button>
          <Button variant="default" onClick={validate} disabled={!config || busy}>
            Validate
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function StrategyEditPage() {
  const { id } = useParams();
  const [training, setTraining] = useState(false);
  const { user } = useSession();
  const strategy = useApi(
    (signal) => (id ? api.getStrategy(id, signal) : Promise.resolve(null)),
    [id],
  );
  // Another owner's strategy (shared with the caller, or a role that reads all): read-only.
  const sharedWithMe = Boolean(strategy.data && user && strategy.data.owner_id !== user.id);
  return (
    <Stack data-testid="strategy-edit">
      <Anchor component={Link} to="/strategies" size="sm">
        ← Strategies
      </Anchor>
      <Group justify="space-between">
        <Title order={2}>{id ? (strategy.data?.name ?? "Strategy") : "New strategy"}</Title>
        {strategy.data && !sharedWithMe && (
          <Group gap="xs">
            <Button
              variant="default"
              component={Link}
              to={`/jobs?strategy_id=${encodeURIComponent(strategy.data.id)}`}
            >
              Jobs
            </Button>
            <Button onClick={() => setTraining(true)}>Train</Button>
          </Group>
        )}
      </Group>
      {strategy.data && (
        <Modal
          opened={training}
          onClose={() => setTraining(false)}
          title={`Train ${strategy.data.name}`}
        >
          <TrainJobForm strategy={strategy.data} />
        </Modal>
      )}
      {id && strategy.data && (
        <Text size="sm" c="dimmed">
          {taskLabel(strategy.data.task)} · {strategy.data.agent} · version{" "}
          {strategy.data.version}
        </Text>
      )}
      {strategy.loading && <Loading label="Loading strategy…" />}
      {strategy.error && <ErrorAlert error={strategy.error} />}
      {sharedWithMe && strategy.data && (
        <Stack data-testid="strategy-read-only">
          <Alert color="gray" title="Another user's strategy (read-only)">
            Its owner shared it with you (or your role reads every strategy): you can read it
            here but not change it.
          </Alert>
          {strategy.data.description && <Text>{strategy.data.description}</Text>}
          <Text size="sm">Dataset: {strategy.data.dataset_id || "—"}</Text>
          <Code block>{JSON.stringify(strategy.data.config, null, 2)}</Code>
        </Stack>
      )}
      {!strategy.loading && !strategy.error && !sharedWithMe && (
        <StrategyForm key={strategy.data?.id ?? "new"} existing={strategy.data} />
      )}
    </Stack>
  );
}
