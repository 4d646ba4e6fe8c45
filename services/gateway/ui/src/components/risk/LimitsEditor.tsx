import { Alert, Button, Group, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useEffect, useState } from "react";
import type { FormEvent } from "react";
import { ErrorAlert } from "../Feedback";
import { formatDateTime } from "../../format";
import { COUNT_LIMITS, DECIMAL_LIMITS, riskApi } from "../../risk";
import type { Limits } from "../../risk";

type Draft = Record<string, string>;

function label(name: string): string {
  return name.replace(/_/g, " ").replace(/^max /, "max. ");
}

function toDraft(limits: Limits): Draft {
  const draft: Draft = {
    max_position: Object.entries(limits.max_position)
      .map(([k, v]) => `${k}=${v}`)
      .join(", "),
    allowed_instruments: limits.allowed_instruments.join(", "),
    reason: "",
  };
  for (const name of DECIMAL_LIMITS) draft[name] = limits[name];
  for (const name of COUNT_LIMITS) draft[name] = limits[name] ? String(limits[name]) : "";
  return draft;
}

/** "AAPL=100, *=50" → {AAPL: "100", "*": "50"}; throws naming the bad entry. */
function parsePositions(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [key, value, extra] = part.split("=").map((p) => p.trim());
    if (!key || !value || extra !== undefined) {
      throw new Error(`max position entries look like INSTRUMENT=QTY, was "${part}"`);
    }
    out[key] = value;
  }
  return out;
}

function toBody(draft: Draft): Record<string, unknown> {
  const body: Record<string, unknown> = {
    max_position: parsePositions(draft.max_position),
    allowed_instruments: draft.allowed_instruments
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
    reason: draft.reason.trim(),
  };
  for (const name of DECIMAL_LIMITS) body[name] = draft[name].trim() || null;
  for (const name of COUNT_LIMITS) body[name] = draft[name].trim() ? Number(draft[name]) : 0;
  return body;
}

/** Every limit of the account; saving replaces them all (risk officers and admins; read-only
 * for everyone else). */
export function LimitsEditor({ accountId, canEdit }: { accountId: string; canEdit: boolean }) {
  const [limits, setLimits] = useState<Limits | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const [tick, setTick] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLimits(null);
    setDraft(null);
    setSaved(false);
    riskApi
      .limits(accountId, controller.signal)
      .then((l) => {
        setLimits(l);
        setDraft(toDraft(l));
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      });
    return () => controller.abort();
  }, [accountId, tick]);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!draft) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const stored = await riskApi.setLimits(accountId, toBody(draft));
      setLimits(stored);
      setDraft(toDraft(stored));
      setSaved(true);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  if (!draft) return error ? <ErrorAlert error={error} /> : <Text c="dimmed">Loading limits…</Text>;
  const field = (name: string, description?: string) => (
    <TextInput
      key={name}
      label={label(name)}
      description={description}
      placeholder="none"
      readOnly={!canEdit}
      value={draft[name]}
      onChange={(e) => {
        const value = e.currentTarget.value;
        setDraft((d) => (d ? { ...d, [name]: value } : d));
      }}
    />
  );
  return (
    <form onSubmit={(e) => void save(e)} data-testid="limits-editor">
      <Stack gap="xs">
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }}>
          {DECIMAL_LIMITS.map((name) => field(name))}
          {COUNT_LIMITS.map((name) => field(name))}
        </SimpleGrid>
        {field("max_position", 'Per instrument, "*" for all others: AAPL=100, *=50')}
        {field("allowed_instruments", "Comma-separated; empty allows every instrument")}
        {canEdit && field("reason", "Why the limits change (audited)")}
        {error && <ErrorAlert error={error} title="Limits not saved" />}
        {saved && (
          <Alert color="green" data-testid="limits-saved">
            Limits saved (version {limits?.version}).
          </Alert>
        )}
        <Group justify="space-between">
          <Text size="xs" c="dimmed">
            Version {limits?.version ?? 0}
            {limits?.updated_by ? `, set by ${limits.updated_by}` : ""}
            {limits?.updated_at ? ` at ${formatDateTime(limits.updated_at)}` : ""}
          </Text>
          <Group gap="xs">
            <Button variant="default" onClick={() => setTick((t) => t + 1)}>
              Reload
            </Button>
            {canEdit && (
              <Button type="submit" loading={busy}>
                Save limits
              </Button>
            )}
          </Group>
        </Group>
      </Stack>
    </form>
  );
}
