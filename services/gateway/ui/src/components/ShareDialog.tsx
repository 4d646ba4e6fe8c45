import { Button, Group, Modal, Stack, Table, Text, TextInput } from "@mantine/core";
import { useEffect, useState } from "react";
import type { FormEvent } from "react";
import { formatDateTime } from "../format";
import { SHARE_NOTE, shares as api } from "../shares";
import type { ResourceShare, ShareKind } from "../shares";
import { ErrorAlert, Loading } from "./Feedback";

/** Share a strategy, training job, backtest or model read-only with users by username; list
 * and withdraw its shares. */
export function ShareDialog({
  kind,
  id,
  name,
  onClose,
}: {
  kind: ShareKind;
  id: string;
  name: string;
  onClose: () => void;
}) {
  const [shares, setShares] = useState<ResourceShare[] | null>(null);
  const [username, setUsername] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    api
      .list(kind, id, controller.signal)
      .then((page) => setShares(page.shares))
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      });
    return () => controller.abort();
  }, [kind, id]);

  async function share(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.share(kind, id, username.trim());
      setShares((old) => [...(old ?? []).filter((s) => s.user_id !== created.user_id), created]);
      setUsername("");
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  async function unshare(s: ResourceShare) {
    setError(null);
    try {
      await api.unshare(kind, id, s.user_id);
      setShares((old) => (old ?? []).filter((r) => r.user_id !== s.user_id));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  return (
    <Modal opened onClose={onClose} title={`Share "${name}"`} size="lg" centered>
      <Stack data-testid="share-dialog">
        <Text size="sm" c="dimmed">
          {SHARE_NOTE[kind]}
        </Text>
        <form onSubmit={share}>
          <Group align="flex-end">
            <TextInput
              label="Username"
              value={username}
              onChange={(e) => setUsername(e.currentTarget.value)}
              maxLength={64}
              required
              style={{ flex: 1 }}
              data-testid="share-username"
            />
            <Button type="submit" loading={busy} disabled={!username.trim()}>
              Share
            </Button>
          </Group>
        </form>
        {error && <ErrorAlert error={error} />}
        {shares === null && !error && <Loading label="Loading shares…" />}
        {shares !== null && shares.length === 0 && (
          <Text size="sm">Not shared with anyone.</Text>
        )}
        {shares !== null && shares.length > 0 && (
          <Table data-testid="shares-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>User</Table.Th>
                <Table.Th>Shared</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shares.map((s) => (
                <Table.Tr key={s.user_id}>
                  <Table.Td>{s.username || s.user_id}</Table.Td>
                  <Table.Td>{formatDateTime(s.created_at)}</Table.Td>
                  <Table.Td ta="right">
                    <Button size="xs" variant="subtle" color="red" onClick={() => unshare(s)}>
                      Remove
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Modal>
  );
}
