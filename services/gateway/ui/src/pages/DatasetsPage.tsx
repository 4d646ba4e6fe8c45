import {
  Anchor,
  Badge,
  Group,
  Pagination,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { TASKS, api } from "../api";
import { DatasetUpload, qualityColor } from "../components/DatasetUpload";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { formatCount, formatDate, taskLabel } from "../format";
import { useApi } from "../useApi";

/** Rows per page: the catalog holds hundreds of datasets (one long list was ~17,000 px). */
export const DATASETS_PAGE_SIZE = 25;

export default function DatasetsPage() {
  const [task, setTask] = useState<string | null>(null);
  const [query, setQuery] = useState("");
  const [page, setPage] = useState(1);
  const list = useApi((signal) => api.listDatasets("", 500, signal), []);
  const needle = query.trim().toLowerCase();
  const datasets = (list.data?.datasets ?? []).filter(
    (d) =>
      (!task || d.tasks.includes(task as never)) &&
      (!needle ||
        [d.id, d.name, ...d.assets].some((text) => (text ?? "").toLowerCase().includes(needle))),
  );
  const pages = Math.max(1, Math.ceil(datasets.length / DATASETS_PAGE_SIZE));
  // A new filter starts at its first page.
  useEffect(() => setPage(1), [task, needle]);
  const shown = datasets.slice((page - 1) * DATASETS_PAGE_SIZE, page * DATASETS_PAGE_SIZE);
  return (
    <Stack data-testid="datasets-page">
      <Group justify="space-between">
        <Title order={2}>Datasets</Title>
        <Group gap="sm">
          <TextInput
            placeholder="Search name, id or asset"
            value={query}
            onChange={(e) => setQuery(e.currentTarget.value)}
            w={260}
            aria-label="Search datasets"
            data-testid="datasets-search"
          />
          <Select
          placeholder="All tasks"
          clearable
          data={TASKS.map((t) => ({ value: t, label: taskLabel(t) }))}
          value={task}
          onChange={setTask}
          w={240}
          aria-label="Filter by task"
          />
        </Group>
      </Group>
      <DatasetUpload onImported={() => list.reload()} />
      {list.loading && !list.data && <Loading label="Loading datasets…" />}
      {list.error && <ErrorAlert error={list.error} />}
      {list.data && datasets.length === 0 && (
        <Empty>
          No datasets{task ? ` for ${taskLabel(task)}` : ""}
          {needle ? ` matching “${query.trim()}”` : ""} in the catalog.
        </Empty>
      )}
      {datasets.length > 0 && (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover data-testid="datasets-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Dataset</Table.Th>
                <Table.Th>Tasks</Table.Th>
                <Table.Th ta="right">Rows</Table.Th>
                <Table.Th>Assets</Table.Th>
                <Table.Th>Date range</Table.Th>
                <Table.Th>Frequency</Table.Th>
                <Table.Th>Quality</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((d) => (
                <Table.Tr key={d.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/datasets/${encodeURIComponent(d.id)}`}>
                      {d.name || d.id}
                    </Anchor>
                    {d.synthetic && (
                      <Badge size="xs" ml="xs" variant="light">
                        synthetic
                      </Badge>
                    )}
                    <Text size="xs" c="dimmed">
                      {d.id}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {d.tasks.map((t) => (
                        <Badge key={t} size="xs" variant="outline">
                          {taskLabel(t)}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td ta="right">{formatCount(d.rows)}</Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={1} title={d.assets.join(", ")}>
                      {d.assets.length <= 3
                        ? d.assets.join(", ")
                        : `${d.assets.slice(0, 3).join(", ")} +${d.assets.length - 3}`}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {formatDate(d.start_time)} → {formatDate(d.end_time)}
                  </Table.Td>
                  <Table.Td>{d.frequency || "—"}</Table.Td>
                  <Table.Td>
                    {d.quality?.status ? (
                      <Badge
                        size="xs"
                        color={qualityColor(d.quality.status)}
                        title={d.quality.error_codes.join(", ")}
                      >
                        {d.quality.status}
                      </Badge>
                    ) : (
                      "—"
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {datasets.length > DATASETS_PAGE_SIZE && (
        <Group justify="space-between">
          <Text size="sm" c="dimmed" data-testid="datasets-count">
            {(page - 1) * DATASETS_PAGE_SIZE + 1}–
            {Math.min(page * DATASETS_PAGE_SIZE, datasets.length)} of {datasets.length}
          </Text>
          <Pagination
            total={pages}
            value={page}
            onChange={setPage}
            size="sm"
            data-testid="datasets-pages"
          />
        </Group>
      )}
    </Stack>
  );
}
