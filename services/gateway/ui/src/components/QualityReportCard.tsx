import { Badge, Card, Group, Stack, Table, Text, Tooltip } from "@mantine/core";
import { api } from "../api";
import type { QualityReport } from "../api";
import { useApi } from "../useApi";
import { qualityColor } from "./DatasetUpload";
import { ErrorAlert, Loading } from "./Feedback";

interface Figures {
  heatmap?: { instruments: string[]; bucket_starts: string[]; values: number[][] };
  returns?: { edges: number[]; counts: number[]; outliers: { instrument?: string; time?: string }[] };
  gaps?: { instrument: string; start: string; end: string; bars: number }[];
}

const MAX_HEATMAP_ROWS = 30;
const MAX_GAPS = 20;
const BAR_HEIGHT = 80;

/** Missing fraction per instrument and time bucket: white = complete, red = all missing. */
function Heatmap({ map }: { map: NonNullable<Figures["heatmap"]> }) {
  if (map.instruments.length === 0) return null;
  return (
    <Stack gap={2} data-testid="quality-heatmap">
      <Text size="sm" fw={500}>
        Missing data per instrument
      </Text>
      {map.instruments.slice(0, MAX_HEATMAP_ROWS).map((name, i) => (
        <Group key={name} gap={4} wrap="nowrap">
          <Text size="xs" w={90} truncate title={name}>
            {name}
          </Text>
          <div style={{ display: "flex", flex: 1, height: 12 }}>
            {(map.values[i] ?? []).map((v, j) => (
              <Tooltip key={j} label={`${map.bucket_starts[j] ?? ""}: ${(v * 100).toFixed(1)}%`}>
                <div style={{ flex: 1, background: `rgba(220, 38, 38, ${v})`, border: "1px solid #eee" }} />
              </Tooltip>
            ))}
          </div>
        </Group>
      ))}
    </Stack>
  );
}

/** Log-return histogram; the flagged outliers are listed under it. */
function Returns({ hist }: { hist: NonNullable<Figures["returns"]> }) {
  const peak = Math.max(1, ...hist.counts);
  if (hist.counts.length === 0) return null;
  return (
    <Stack gap={4} data-testid="quality-returns">
      <Text size="sm" fw={500}>
        Return distribution ({hist.outliers.length} outlier(s) flagged)
      </Text>
      <div style={{ display: "flex", alignItems: "flex-end", height: BAR_HEIGHT, gap: 1 }}>
        {hist.counts.map((c, i) => (
          <Tooltip key={i} label={`${hist.edges[i]?.toFixed(4)} .. ${hist.edges[i + 1]?.toFixed(4)}: ${c}`}>
            <div style={{ flex: 1, height: `${(c / peak) * 100}%`, minHeight: c ? 1 : 0, background: "#228be6" }} />
          </Tooltip>
        ))}
      </div>
      {hist.outliers.length > 0 && (
        <Text size="xs" c="dimmed">
          Outliers:{" "}
          {hist.outliers
            .slice(0, 10)
            .map((o) => `${o.instrument ?? ""} ${o.time ?? ""}`.trim())
            .join(", ")}
        </Text>
      )}
    </Stack>
  );
}

/** Every report finding, then the pictures: missing-data heatmap, returns, gap timeline. */
export function QualityReportCard({ datasetId }: { datasetId: string }) {
  const report = useApi((signal) => api.datasetQuality(datasetId, signal), [datasetId]);
  const r: QualityReport | null = report.data;
  const figures = (r?.figures ?? {}) as Figures;
  return (
    <Card withBorder data-testid="quality-report">
      <Group gap="xs" mb="xs">
        <Text fw={600}>Quality report</Text>
        {r && <Badge color={qualityColor(r.status)}>{r.status}</Badge>}
      </Group>
      {report.loading && !r && <Loading label="Checking quality…" />}
      {report.error && <ErrorAlert error={report.error} />}
      {r && (
        <Stack>
          {r.findings.length === 0 ? (
            <Text size="sm">No findings.</Text>
          ) : (
            <Table data-testid="quality-findings">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Severity</Table.Th>
                  <Table.Th>Finding</Table.Th>
                  <Table.Th ta="right">Count</Table.Th>
                  <Table.Th>Where</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {r.findings.map((f, i) => (
                  <Table.Tr key={`${f.code}-${i}`}>
                    <Table.Td>{f.severity}</Table.Td>
                    <Table.Td>
                      <Text size="sm">{f.code}</Text>
                      <Text size="xs" c="dimmed">
                        {f.message}
                      </Text>
                    </Table.Td>
                    <Table.Td ta="right">{f.count}</Table.Td>
                    <Table.Td>
                      {[f.instrument, f.column].filter(Boolean).join(" · ")}
                      {(f.rows ?? []).length > 0 && ` rows ${(f.rows ?? []).slice(0, 8).join(", ")}`}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          {figures.heatmap && <Heatmap map={figures.heatmap} />}
          {figures.returns && <Returns hist={figures.returns} />}
          {(figures.gaps ?? []).length > 0 && (
            <Stack gap={2} data-testid="quality-gaps">
              <Text size="sm" fw={500}>
                Gaps
              </Text>
              {(figures.gaps ?? []).slice(0, MAX_GAPS).map((g, i) => (
                <Text key={i} size="xs">
                  {g.instrument}: {g.start} → {g.end} ({g.bars} bars)
                </Text>
              ))}
            </Stack>
          )}
        </Stack>
      )}
    </Card>
  );
}
