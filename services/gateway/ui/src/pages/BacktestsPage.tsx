import { Button, Group, Stack, Title } from "@mantine/core";
import { useSearchParams } from "react-router";
import { api } from "../api";
import { BacktestForm } from "../components/BacktestForm";
import { BacktestsTable } from "../components/BacktestsTable";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { useApi } from "../useApi";

export default function BacktestsPage() {
  const [params] = useSearchParams();
  const list = useApi((signal) => api.listBacktests({ page_size: 50 }, signal), []);
  const rows = list.data?.backtests ?? [];
  return (
    <Stack data-testid="backtests-page">
      <Title order={2}>Backtests</Title>
      <BacktestForm initialJobId={params.get("training_job_id") ?? ""} />
      <Group justify="space-between">
        <Title order={4}>Recent backtests</Title>
        <Button variant="default" size="xs" onClick={list.reload}>
          Refresh
        </Button>
      </Group>
      {list.error && <ErrorAlert error={list.error} />}
      {list.loading && !list.data && <Loading label="Loading backtests…" />}
      {list.data && rows.length === 0 && <Empty>No backtests yet.</Empty>}
      {rows.length > 0 && <BacktestsTable backtests={rows} />}
    </Stack>
  );
}
