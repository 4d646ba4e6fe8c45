import {
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { ShareControls, useMayChange } from "../components/ShareControls";
import { formatDateTime, formatNumber } from "../format";
import { type ModelVersion, registry } from "../registry";
import { useApi } from "../useApi";

function VersionDetail({ v }: { v: ModelVersion }) {
  return (
    <Stack gap="xs" data-testid="version-detail">
      <Group justify="space-between">
        <Title order={4}>
          Version {v.version} {v.aliases.map((a) => <Badge key={a} ml={4}>{a}</Badge>)}
        </Title>
        <Button
          component={Link}
          to={`/deployments?model=${encodeURIComponent(v.model_id)}&version=${v.version}`}
          size="xs"
          data-testid="deploy-to-paper"
        >
          Deploy to paper
        </Button>
      </Group>
      <Text size="sm">
        From job{" "}
        <Anchor component={Link} to={`/jobs/${v.training_job_id}`} ff="monospace">
          {v.training_job_id.slice(0, 8)}
        </Anchor>{" "}
        · strategy {v.strategy_id.slice(0, 8)} v{v.strategy_version} · dataset {v.dataset_id}
      </Text>
      <Text size="xs" c="dimmed" ff="monospace">
        {v.model_uri}
      </Text>
      {v.ever_deployed && <Badge color="orange">deployed — kept for the audit</Badge>}
      <Table data-testid="version-metrics">
        <Table.Tbody>
          {Object.entries(v.metrics)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, value]) => (
              <Table.Tr key={name}>
                <Table.Td>{name}</Table.Td>
                <Table.Td ta="right">{formatNumber(value)}</Table.Td>
              </Table.Tr>
            ))}
        </Table.Tbody>
      </Table>
      <Title order={5}>Backtests</Title>
      {v.backtests.length === 0 && <Text c="dimmed">No backtests of this version yet.</Text>}
      {v.backtests.map((b) => (
        <Text size="sm" key={b.id} data-testid="version-backtest">
          <Anchor component={Link} to={`/backtests/${b.id}`} ff="monospace">
            {b.id.slice(0, 8)}
          </Anchor>{" "}
          {b.state} on {b.dataset_id} · Sharpe {formatNumber(b.summary_metrics.sharpe_ratio)} ·
          return {formatNumber(b.summary_metrics.total_return)}
        </Text>
      ))}
      <Title order={5}>Deployments</Title>
      {v.deployments.length === 0 && <Text c="dimmed">Never deployed.</Text>}
      {v.deployments.map((d) => (
        <Text size="sm" key={d.id}>
          {d.mode} on {d.account_id} from {formatDateTime(d.start_time)} to{" "}
          {d.end_time ? formatDateTime(d.end_time) : "now"}
        </Text>
      ))}
    </Stack>
  );
}

function Comparison({ modelId, versions }: { modelId: string; versions: number[] }) {
  const compared = useApi((signal) => registry.compare(modelId, versions, signal), [
    modelId,
    versions.join(","),
  ]);
  if (compared.error) return <ErrorAlert error={compared.error} />;
  if (!compared.data) return <Loading label="Comparing…" />;
  const c = compared.data;
  return (
    <Table striped data-testid="compare-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Metric / setting</Table.Th>
          {c.versions.map((v) => (
            <Table.Th key={v.version} ta="right">
              v{v.version}
            </Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {c.metrics.map((m) => (
          <Table.Tr key={m.name}>
            <Table.Td>{m.name}</Table.Td>
            {m.values.map((x, i) => (
              <Table.Td key={i} ta="right">
                {formatNumber(x)}
              </Table.Td>
            ))}
          </Table.Tr>
        ))}
        {c.differing_settings.map((s) => (
          <Table.Tr key={s.path} data-testid="compare-setting">
            <Table.Td ff="monospace">{s.path}</Table.Td>
            {s.values.map((x, i) => (
              <Table.Td key={i} ta="right" ff="monospace">
                {x === null ? "—" : JSON.stringify(x)}
              </Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** One model: versions with aliases, a version's detail, two versions side by side. */
export default function ModelDetailPage() {
  const { id = "" } = useParams();
  const model = useApi((signal) => registry.getModel(id, signal), [id]);
  const versions = useApi((signal) => registry.listVersions(id, signal), [id]);
  const [selected, setSelected] = useState<number | null>(null);
  const [compared, setCompared] = useState<number[]>([]);
  const [jobId, setJobId] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const mayChange = useMayChange(model.data?.owner_id);
  const detail = useApi(
    (signal) =>
      selected === null ? Promise.resolve(null) : registry.getVersion(id, selected, signal),
    [id, selected],
  );

  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      model.reload();
      versions.reload();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  const toggle = (v: number) =>
    setCompared((now) => (now.includes(v) ? now.filter((x) => x !== v) : [...now, v].slice(-2)));

  if (model.error) return <ErrorAlert error={model.error} />;
  if (!model.data) return <Loading label="Loading model…" />;
  const rows = versions.data?.versions ?? [];
  return (
    <Stack data-testid="model-detail-page">
      <Group justify="space-between">
        <Title order={2}>{model.data.name}</Title>
        <ShareControls
          kind="models"
          id={model.data.id}
          name={model.data.name}
          ownerId={model.data.owner_id}
        />
      </Group>
      {mayChange && (
        <Group align="end">
          <TextInput
            label="Register a SUCCEEDED training job"
            placeholder="training job id"
            value={jobId}
            onChange={(e) => setJobId(e.currentTarget.value)}
            data-testid="register-job-id"
          />
          <Button
            disabled={!jobId.trim()}
            onClick={() => act(() => registry.register(id, jobId.trim()))}
            data-testid="register-version"
          >
            Add version
          </Button>
        </Group>
      )}
      {error && <ErrorAlert error={error} />}
      {versions.data && rows.length === 0 && <Empty>No versions yet.</Empty>}
      {rows.length > 0 && (
        <Table striped highlightOnHover data-testid="versions-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Compare</Table.Th>
              <Table.Th>Version</Table.Th>
              <Table.Th>Aliases</Table.Th>
              <Table.Th>Training job</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((v) => (
              <Table.Tr key={v.version} data-testid="version-row">
                <Table.Td>
                  <Checkbox
                    checked={compared.includes(v.version)}
                    onChange={() => toggle(v.version)}
                    aria-label={`compare v${v.version}`}
                  />
                </Table.Td>
                <Table.Td>
                  <Anchor onClick={() => setSelected(v.version)}>v{v.version}</Anchor>
                </Table.Td>
                <Table.Td>
                  {v.aliases.map((a) => (
                    <Badge key={a} mr={4}>
                      {a}
                    </Badge>
                  ))}
                </Table.Td>
                <Table.Td ff="monospace">{v.training_job_id.slice(0, 8)}</Table.Td>
                <Table.Td>{formatDateTime(v.create_time)}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {(mayChange ? ["champion", "challenger"] : []).map((alias) => (
                      <Button
                        key={alias}
                        size="compact-xs"
                        variant="default"
                        onClick={() => act(() => registry.setAlias(id, alias, v.version))}
                      >
                        {alias}
                      </Button>
                    ))}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {compared.length === 2 && <Comparison modelId={id} versions={compared} />}
      {detail.error && <ErrorAlert error={detail.error} />}
      {detail.data && <VersionDetail v={detail.data} />}
    </Stack>
  );
}
