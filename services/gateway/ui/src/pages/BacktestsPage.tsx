import { Button, Group, Stack, Title } from "@mantine/core";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { api } from "../api";
import { BacktestForm } from "../components/BacktestForm";
import { BacktestsTable } from "../components/BacktestsTable";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { ViewToggle } from "../components/ShareControls";
import type { ListView } from "../components/ShareControls";
import { useApi } from "../useApi";

export default function BacktestsPage() {
  const [params] = useSearchParams();
  const [view, setView] = useState<ListView>("mine");
  const list = useApi(
    (signal) =>
      api.listBacktests(
        { page_size: 50, shared_with_me: view === "shared" ? "true" : undefined },
        signal,
      ),
    [view],
  );
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
      <ViewToggle value={view} onChange={setView} testId="backtests-view" />
      {list.error && <ErrorAlert error={list.error} />}
      {list.loading && !list.data && <Loading label="Loading backtests…" />}
      {list.data && rows.length === 0 && (
        <Empty>
          {view === "mine" ? "No backtests yet." : "Nobody has shared a backtest with you yet."}
        </Empty>
      )}
      {rows.length > 0 && <BacktestsTable backtests={rows} />}
    </Stack>
  );
}
