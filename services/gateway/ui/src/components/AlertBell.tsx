import {
  ActionIcon,
  Badge,
  Button,
  Group,
  Indicator,
  Popover,
  ScrollArea,
  Stack,
  Text,
} from "@mantine/core";
import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router";
import { alerts } from "../alerts";
import type { AlertList } from "../alerts";
import { formatDateTime } from "../format";
import { ErrorAlert } from "./Feedback";

/** Alerts are not on the event stream (its topics are per resource), so the bell polls;
 * it also reloads when the tab regains focus and right after marking read. */
const POLL_MS = 5_000;
const RECENT = 10;

export function AlertBell() {
  const [list, setList] = useState<AlertList | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [opened, setOpened] = useState(false);

  const load = useCallback(async () => {
    try {
      setList(await alerts.list(RECENT));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, []);

  useEffect(() => {
    void load();
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, POLL_MS);
    window.addEventListener("focus", load);
    return () => {
      clearInterval(timer);
      window.removeEventListener("focus", load);
    };
  }, [load]);

  const markRead = async (ids: string[], all = false) => {
    try {
      await alerts.markRead(ids, all);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
    await load();
  };

  const unread = list?.unread_count ?? 0;
  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-end" width={360} shadow="md">
      <Popover.Target>
        <Indicator label={unread} size={16} disabled={unread === 0} data-testid="alert-unread">
          <ActionIcon
            variant="default"
            aria-label={`Alerts, ${unread} unread`}
            data-testid="alert-bell"
            onClick={() => setOpened((o) => !o)}
          >
            🔔
          </ActionIcon>
        </Indicator>
      </Popover.Target>
      <Popover.Dropdown data-testid="alert-dropdown">
        {error && <ErrorAlert error={error} title="Alerts unavailable" />}
        <Group justify="space-between" mb="xs">
          <Text fw={600} size="sm">
            Alerts ({unread} unread)
          </Text>
          <Button size="compact-xs" variant="subtle" onClick={() => markRead([], true)}>
            Mark all read
          </Button>
        </Group>
        <ScrollArea.Autosize mah={320}>
          <Stack gap={6}>
            {list?.alerts.length === 0 && (
              <Text size="sm" c="dimmed">
                No alerts yet.
              </Text>
            )}
            {list?.alerts.map((a) => (
              <Group
                key={a.id}
                justify="space-between"
                wrap="nowrap"
                data-testid="alert-item"
                data-read={a.read_at ? "true" : "false"}
              >
                <div>
                  <Text size="sm" fw={a.read_at ? 400 : 600}>
                    {a.title}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {a.event_type} · {a.topic} · {formatDateTime(a.created_at)}
                  </Text>
                </div>
                {a.read_at ? (
                  <Badge size="xs" variant="light" color="gray">
                    read
                  </Badge>
                ) : (
                  <Button size="compact-xs" variant="light" onClick={() => markRead([a.id])}>
                    Mark read
                  </Button>
                )}
              </Group>
            ))}
          </Stack>
        </ScrollArea.Autosize>
        <Button
          component={Link}
          to="/alerts"
          size="compact-xs"
          variant="subtle"
          mt="xs"
          onClick={() => setOpened(false)}
        >
          Rules and deliveries
        </Button>
      </Popover.Dropdown>
    </Popover>
  );
}
