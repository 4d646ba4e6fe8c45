import {
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  PasswordInput,
  Select,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useState } from "react";
import { EVENT_TYPE_SUGGESTIONS, alerts } from "../alerts";
import type { AlertRule, AlertRuleInput, Delivery } from "../alerts";
import { ApiError } from "../api";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { formatDateTime } from "../format";
import { useApi } from "../useApi";

const EMPTY: AlertRuleInput = {
  name: "",
  event_types: [],
  topic_prefix: "",
  match: {},
  in_app: true,
  webhook_url: "",
  webhook_format: "json",
  webhook_secret: "",
  email_to: "",
};

/** "key=value" lines (or comma-separated) into the rule's payload match. */
function parseMatch(text: string): Record<string, string> {
  const match: Record<string, string> = {};
  for (const part of text.split(/[\n,]/)) {
    const [key, ...rest] = part.split("=");
    if (key.trim()) match[key.trim()] = rest.join("=").trim();
  }
  return match;
}

/** The API's message for one field (the notifier names them `rule.<field>`). */
function fieldError(error: Error | null, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const hit = error.fieldViolations.find((v) => v.field === field || v.field === `rule.${field}`);
  return hit?.description;
}

function RuleForm({ onCreated }: { onCreated: () => void }) {
  const [rule, setRule] = useState<AlertRuleInput>(EMPTY);
  const [match, setMatch] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<AlertRuleInput>) => setRule((r) => ({ ...r, ...patch }));

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await alerts.createRule({ ...rule, match: parseMatch(match) });
      setRule(EMPTY);
      setMatch("");
      onCreated();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card withBorder data-testid="alert-rule-form">
      <Stack gap="xs">
        <Title order={5}>New rule</Title>
        {error && <ErrorAlert error={error} title="Rule not created" />}
        <TextInput
          label="Rule name"
          value={rule.name}
          onChange={(e) => set({ name: e.currentTarget.value })}
          error={fieldError(error, "name")}
        />
        <TagsInput
          label="Event types"
          description="Type or pick; Enter adds one"
          data={EVENT_TYPE_SUGGESTIONS}
          value={rule.event_types}
          onChange={(event_types) => set({ event_types })}
          error={fieldError(error, "event_types")}
        />
        <TextInput
          label="Topic prefix"
          placeholder="training_job/"
          value={rule.topic_prefix}
          onChange={(e) => set({ topic_prefix: e.currentTarget.value })}
          error={fieldError(error, "topic_prefix")}
        />
        <TextInput
          label="Payload match"
          placeholder="new_state=FAILED"
          description="field=value pairs, comma-separated"
          value={match}
          onChange={(e) => setMatch(e.currentTarget.value)}
          error={fieldError(error, "match")}
        />
        <Checkbox
          label="In-app (the bell)"
          checked={rule.in_app}
          onChange={(e) => set({ in_app: e.currentTarget.checked })}
          error={fieldError(error, "in_app")}
        />
        <Group grow align="flex-start">
          <TextInput
            label="Webhook URL"
            value={rule.webhook_url}
            onChange={(e) => set({ webhook_url: e.currentTarget.value })}
            error={fieldError(error, "webhook_url")}
          />
          <Select
            label="Webhook format"
            data={["json", "slack"]}
            value={rule.webhook_format}
            onChange={(v) => set({ webhook_format: v === "slack" ? "slack" : "json" })}
            allowDeselect={false}
          />
          <PasswordInput
            label="Webhook secret"
            description="HMAC-SHA256 key, 16+ characters; never shown again"
            value={rule.webhook_secret}
            onChange={(e) => set({ webhook_secret: e.currentTarget.value })}
            error={fieldError(error, "webhook_secret")}
          />
        </Group>
        <TextInput
          label="E-mail to"
          value={rule.email_to}
          onChange={(e) => set({ email_to: e.currentTarget.value })}
          error={fieldError(error, "email_to")}
        />
        <Group>
          <Button onClick={submit} loading={busy}>
            Create rule
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

function channels(rule: AlertRule): string {
  const out = [];
  if (rule.in_app) out.push("in-app");
  if (rule.webhook_url) out.push(`webhook (${rule.webhook_format}${rule.webhook_signed ? ", signed" : ""})`);
  if (rule.email_to) out.push(`e-mail ${rule.email_to}`);
  return out.join(", ");
}

function RulesTable({ rules, onDelete }: { rules: AlertRule[]; onDelete: (id: string) => void }) {
  if (rules.length === 0) return <Empty>No rules yet.</Empty>;
  return (
    <Table data-testid="alert-rules">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Name</Table.Th>
          <Table.Th>Events</Table.Th>
          <Table.Th>Topic prefix / match</Table.Th>
          <Table.Th>Channels</Table.Th>
          <Table.Th />
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rules.map((r) => (
          <Table.Tr key={r.id} data-testid={`alert-rule-${r.name}`}>
            <Table.Td>
              {r.name}
              {r.platform && (
                <Badge ml="xs" size="xs" variant="light">
                  platform
                </Badge>
              )}
            </Table.Td>
            <Table.Td>{r.event_types.join(", ")}</Table.Td>
            <Table.Td>
              {r.topic_prefix || "—"}{" "}
              {Object.entries(r.match)
                .map(([k, v]) => `${k}=${v}`)
                .join(", ")}
            </Table.Td>
            <Table.Td>{channels(r)}</Table.Td>
            <Table.Td>
              <Button size="compact-xs" color="red" variant="light" onClick={() => onDelete(r.id)}>
                Delete
              </Button>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function Deliveries({ run }: { run: (a: () => Promise<unknown>, then: () => void) => void }) {
  const [deadOnly, setDeadOnly] = useState(false);
  const log = useApi((s) => alerts.deliveries(deadOnly, s), [deadOnly]);
  const row = (d: Delivery) => (
    <Table.Tr key={d.id} data-testid={`alert-delivery-${d.id}`}>
      <Table.Td>{d.channel}</Table.Td>
      <Table.Td>
        <Badge size="sm" variant="light" color={d.status === "DEAD" ? "red" : "gray"}>
          {d.status}
        </Badge>
      </Table.Td>
      <Table.Td>{d.attempts}</Table.Td>
      <Table.Td>{d.last_http_status || "—"}</Table.Td>
      <Table.Td>{d.last_error || "—"}</Table.Td>
      <Table.Td>{formatDateTime(d.updated_at)}</Table.Td>
      <Table.Td>
        {d.status === "DEAD" && (
          <Button size="compact-xs" onClick={() => run(() => alerts.replay(d.id), log.reload)}>
            Replay
          </Button>
        )}
      </Table.Td>
    </Table.Tr>
  );
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={5}>Delivery log</Title>
        <Group>
          <Switch
            label="Dead letters only"
            checked={deadOnly}
            onChange={(e) => setDeadOnly(e.currentTarget.checked)}
          />
          <Button size="compact-sm" variant="default" onClick={log.reload}>
            Refresh
          </Button>
        </Group>
      </Group>
      {log.error && <ErrorAlert error={log.error} />}
      {log.loading && !log.data && <Loading label="Loading deliveries…" />}
      {log.data && log.data.deliveries.length === 0 && <Empty>No webhook or e-mail deliveries.</Empty>}
      {log.data && log.data.deliveries.length > 0 && (
        <Table data-testid="alert-deliveries">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Channel</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Attempts</Table.Th>
              <Table.Th>HTTP</Table.Th>
              <Table.Th>Last error</Table.Th>
              <Table.Th>Updated</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>{log.data.deliveries.map(row)}</Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

export default function AlertsPage() {
  const rules = useApi((s) => alerts.listRules(s), []);
  const [error, setError] = useState<Error | null>(null);
  const run = async (action: () => Promise<unknown>, then: () => void) => {
    setError(null);
    try {
      await action();
      then();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return (
    <Stack data-testid="alerts-page">
      <Title order={3}>Alerts</Title>
      <Text c="dimmed" size="sm">
        Rules raise alerts from platform events: in the bell, by signed webhook, or by e-mail.
      </Text>
      <RuleForm onCreated={rules.reload} />
      {error && <ErrorAlert error={error} />}
      <Title order={5}>Rules</Title>
      {rules.error && <ErrorAlert error={rules.error} />}
      {rules.loading && !rules.data && <Loading label="Loading rules…" />}
      {rules.data && (
        <RulesTable
          rules={rules.data.rules}
          onDelete={(id) => run(() => alerts.deleteRule(id), rules.reload)}
        />
      )}
      <Deliveries run={run} />
    </Stack>
  );
}
