import {
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { api } from "../api";
import type { Dataset } from "../api";
import { CandleChart } from "../components/CandleChart";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { QualityReportCard } from "../components/QualityReportCard";
import { formatCount, formatDate, taskLabel } from "../format";
import { useApi } from "../useApi";

const MAX_POINTS = 1500;

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={500}>
        {value}
      </Text>
    </div>
  );
}

function PriceChart({ dataset }: { dataset: Dataset }) {
  const [tic, setTic] = useState<string | null>(dataset.assets[0] ?? null);
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [range, setRange] = useState({ start: "", end: "" });
  useEffect(() => setTic(dataset.assets[0] ?? null), [dataset]);
  const bars = useApi(
    (signal) =>
      tic
        ? api.ohlcv(
            dataset.id,
            {
              tic,
              start: range.start ? `${range.start}T00:00:00Z` : undefined,
              end: range.end ? `${range.end}T23:59:59Z` : undefined,
              max_points: MAX_POINTS,
            },
            signal,
          )
        : Promise.resolve(null),
    [dataset.id, tic, range.start, range.end],
  );
  return (
    <Card withBorder>
      <Group align="end" mb="sm" wrap="wrap">
        <Select
          label="Asset"
          data={dataset.assets}
          value={tic}
          onChange={setTic}
          searchable
          w={160}
          allowDeselect={false}
        />
        <TextInput
          label="From"
          type="date"
          value={start}
          onChange={(e) => setStart(e.currentTarget.value)}
          w={170}
        />
        <TextInput
          label="To"
          type="date"
          value={end}
          onChange={(e) => setEnd(e.currentTarget.value)}
          w={170}
        />
        <Button variant="default" onClick={() => setRange({ start, end })}>
          Apply range
        </Button>
      </Group>
      {!tic && <Empty>This dataset has no assets to chart.</Empty>}
      {bars.loading && <Loading label="Loading prices…" />}
      {bars.error && <ErrorAlert error={bars.error} title="Cannot chart this dataset" />}
      {bars.data && !bars.loading && bars.data.time.length === 0 && (
        <Empty>No bars for {tic} in this range.</Empty>
      )}
      {bars.data && !bars.loading && bars.data.time.length > 0 && (
        <>
          <CandleChart bars={bars.data} />
          <Text size="xs" c="dimmed" mt={4} data-testid="chart-caption">
            {formatCount(bars.data.time.length)} bars of {formatCount(bars.data.total_rows)} rows
            {bars.data.bucket_rows > 1 ? ` (each bar merges ${bars.data.bucket_rows} rows)` : ""}
            {bars.data.volume ? "" : " · no volume column"}
          </Text>
        </>
      )}
    </Card>
  );
}

export default function DatasetDetailPage() {
  const { id = "" } = useParams();
  const dataset = useApi((signal) => api.getDataset(id, signal), [id]);
  const d = dataset.data;
  return (
    <Stack data-testid="dataset-detail">
      <Anchor component={Link} to="/datasets" size="sm">
        ← Datasets
      </Anchor>
      {dataset.loading && !d && <Loading label="Loading dataset…" />}
      {dataset.error && <ErrorAlert error={dataset.error} />}
      {d && (
        <>
          <Group gap="sm">
            <Title order={2}>{d.name || d.id}</Title>
            {d.synthetic && <Badge variant="light">synthetic</Badge>}
          </Group>
          <SimpleGrid cols={{ base: 2, sm: 3, md: 6 }}>
            <Fact label="Rows" value={formatCount(d.rows)} />
            <Fact label="Assets" value={String(d.assets.length)} />
            <Fact label="From" value={formatDate(d.start_time)} />
            <Fact label="To" value={formatDate(d.end_time)} />
            <Fact label="Frequency" value={d.frequency || "—"} />
            <Fact label="Tasks" value={d.tasks.map(taskLabel).join(", ") || "—"} />
          </SimpleGrid>
          <PriceChart dataset={d} />
          <QualityReportCard datasetId={d.id} />
          {d.splits.length > 0 && (
            <Card withBorder>
              <Text fw={600} mb="xs">
                Splits
              </Text>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Split</Table.Th>
                    <Table.Th>From</Table.Th>
                    <Table.Th>To</Table.Th>
                    <Table.Th ta="right">Rows</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {d.splits.map((s) => (
                    <Table.Tr key={s.name}>
                      <Table.Td>{s.name}</Table.Td>
                      <Table.Td>{formatDate(s.start_time)}</Table.Td>
                      <Table.Td>{formatDate(s.end_time)}</Table.Td>
                      <Table.Td ta="right">{formatCount(s.rows)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Card>
          )}
          <Text size="xs" c="dimmed">
            {d.format} · {d.path} · sha256 {d.content_hash.slice(0, 12)} · columns:{" "}
            {d.columns.join(", ")}
          </Text>
        </>
      )}
    </Stack>
  );
}
