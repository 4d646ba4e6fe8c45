import { Anchor, Button, Group, Stack, Text, Title } from "@mantine/core";
import { useCallback, useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api } from "../api";
import type { TrainingJob } from "../api";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { JobsTable, useStrategyNames } from "../components/JobsTable";
import { ViewToggle } from "../components/ShareControls";
import type { ListView } from "../components/ShareControls";
import { isFinal } from "../jobs";

const PAGE_SIZE = 25;
const REFRESH_MS = 5000;

export default function JobsPage() {
  const [params] = useSearchParams();
  const strategyId = params.get("strategy_id") ?? "";
  const names = useStrategyNames();
  const [rows, setRows] = useState<TrainingJob[]>([]);
  const [nextToken, setNextToken] = useState("");
  const [loading, setLoading] = useState(true);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [pages, setPages] = useState(1);
  const [view, setView] = useState<ListView>("mine");

  // Reloads every page shown so far, so states stay current while jobs run.
  const refresh = useCallback(
    async (pageCount: number) => {
      setError(null);
      try {
        let token = "";
        const jobs: TrainingJob[] = [];
        for (let i = 0; i < pageCount; i += 1) {
          const page = await api.listJobs({
            page_size: PAGE_SIZE,
            page_token: token,
            strategy_id: strategyId,
            shared_with_me: view === "shared" ? "true" : undefined,
          });
          jobs.push(...page.jobs);
          token = page.next_page_token;
          if (!token) break;
        }
        setRows(jobs);
        setNextToken(token);
        setLoaded(true);
      } catch (e) {
        setError(e instanceof Error ? e : new Error(String(e)));
      } finally {
        setLoading(false);
      }
    },
    [strategyId, view],
  );

  useEffect(() => {
    setLoading(true);
    void refresh(pages);
  }, [refresh, pages]);

  const active = rows.some((j) => !isFinal(j.state));
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(() => void refresh(pages), REFRESH_MS);
    return () => clearInterval(timer);
  }, [active, refresh, pages]);

  return (
    <Stack data-testid="jobs-page">
      <Group justify="space-between">
        <Title order={2}>Training jobs</Title>
        <Button component={Link} to="/strategies" variant="default">
          Train a strategy
        </Button>
      </Group>
      {strategyId && (
        <Text size="sm" c="dimmed">
          Jobs of strategy {names.get(strategyId) ?? strategyId} ·{" "}
          <Anchor component={Link} to="/jobs" size="sm">
            show all
          </Anchor>
        </Text>
      )}
      <ViewToggle value={view} onChange={setView} testId="jobs-view" />
      {error && <ErrorAlert error={error} />}
      {loaded && rows.length === 0 && view === "mine" && (
        <Empty>No training jobs yet. Open a strategy and press Train.</Empty>
      )}
      {loaded && rows.length === 0 && view === "shared" && (
        <Empty>Nobody has shared a training job with you yet.</Empty>
      )}
      {rows.length > 0 && <JobsTable jobs={rows} names={names} />}
      {loading && <Loading label="Loading jobs…" />}
      {nextToken && !loading && (
        <Button variant="default" onClick={() => setPages((n) => n + 1)}>
          Load more
        </Button>
      )}
    </Stack>
  );
}
