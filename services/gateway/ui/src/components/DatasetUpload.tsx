import { Alert, Anchor, Badge, Group, Paper, Progress, Stack, Table, Text } from "@mantine/core";
import { useRef, useState } from "react";
import type { DragEvent } from "react";
import { Link } from "react-router";
import { api, uploadDataset } from "../api";
import type { Dataset, QualityReport } from "../api";

const ACCEPT = ".csv,.gz,.parquet";
const SHOWN_FINDINGS = 20;

export function qualityColor(status: string | undefined): string {
  return status === "blocked" ? "red" : status === "warnings" ? "yellow" : "green";
}

/** Drop a CSV, CSV.gz or Parquet file (or pick one): upload with progress, then its report. */
export function DatasetUpload({ onImported }: { onImported: (d: Dataset) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<{ dataset: Dataset; report: QualityReport } | null>(null);

  async function send(file: File) {
    setError(null);
    setDone(null);
    setProgress(0);
    try {
      const dataset = await uploadDataset(file, setProgress);
      const report = await api.datasetQuality(dataset.id);
      setDone({ dataset, report });
      onImported(dataset);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setProgress(null);
    }
  }

  function onDrop(e: DragEvent<HTMLDivElement>) {
    e.preventDefault();
    setOver(false);
    const file = e.dataTransfer.files[0];
    if (file) void send(file);
  }

  return (
    <Stack gap="xs">
      <Paper
        withBorder
        p="md"
        data-testid="dataset-drop"
        style={{ borderStyle: "dashed", cursor: "pointer", opacity: over ? 0.7 : 1 }}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        onClick={() => input.current?.click()}
      >
        <Text size="sm" ta="center">
          Drop a CSV, CSV.gz or Parquet file here to import it, or click to choose one.
        </Text>
        <input
          ref={input}
          type="file"
          accept={ACCEPT}
          hidden
          data-testid="dataset-file"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) void send(file);
            e.currentTarget.value = "";
          }}
        />
      </Paper>
      {progress !== null && (
        <Progress value={progress * 100} animated data-testid="upload-progress" />
      )}
      {error && (
        <Alert color="red" data-testid="upload-error">
          {error}
        </Alert>
      )}
      {done && <ImportedReport dataset={done.dataset} report={done.report} />}
    </Stack>
  );
}

function ImportedReport({ dataset, report }: { dataset: Dataset; report: QualityReport }) {
  return (
    <Paper withBorder p="sm" data-testid="upload-report">
      <Group gap="xs" mb="xs">
        <Anchor component={Link} to={`/datasets/${encodeURIComponent(dataset.id)}`}>
          {dataset.name}
        </Anchor>
        <Badge color={qualityColor(report.status)} data-testid="upload-status">
          {report.status}
        </Badge>
        <Text size="xs" c="dimmed">
          {dataset.rows} rows, {dataset.assets.length} instrument(s)
          {report.status === "blocked" && " — blocked from training and backtests until repaired"}
        </Text>
      </Group>
      {report.findings.length > 0 && (
        <Table data-testid="upload-findings">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Severity</Table.Th>
              <Table.Th>Finding</Table.Th>
              <Table.Th>Where</Table.Th>
              <Table.Th>Rows</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.findings.slice(0, SHOWN_FINDINGS).map((f, i) => (
              <Table.Tr key={`${f.code}-${i}`}>
                <Table.Td>{f.severity}</Table.Td>
                <Table.Td>
                  <Text size="sm">{f.code}</Text>
                  <Text size="xs" c="dimmed">
                    {f.message}
                  </Text>
                </Table.Td>
                <Table.Td>{[f.instrument, f.column].filter(Boolean).join(" · ") || "—"}</Table.Td>
                <Table.Td>{(f.rows ?? []).slice(0, 8).join(", ")}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}
