/** Calls of the alert REST API (rules, in-app alerts, deliveries) and the action audit. */
import { request } from "./api";

export interface AlertRule {
  id: string;
  owner_id: string;
  name: string;
  event_types: string[];
  topic_prefix: string;
  match: Record<string, string>;
  platform: boolean;
  in_app: boolean;
  webhook_url: string;
  webhook_format: string;
  webhook_signed: boolean;
  email_to: string;
  created_at: string | null;
}

export interface AlertRuleInput {
  name: string;
  event_types: string[];
  topic_prefix: string;
  match: Record<string, string>;
  in_app: boolean;
  webhook_url: string;
  webhook_format: "json" | "slack";
  webhook_secret: string;
  email_to: string;
}

export interface InAppAlert {
  id: string;
  rule_id: string;
  event_id: string;
  event_type: string;
  topic: string;
  title: string;
  payload: Record<string, unknown>;
  created_at: string | null;
  read_at: string | null;
}

export interface AlertList {
  alerts: InAppAlert[];
  unread_count: number;
  next_page_token: string;
}

export interface Delivery {
  id: string;
  alert_id: string;
  channel: string;
  status: string;
  attempts: number;
  last_error: string;
  last_http_status: number;
  next_attempt_at: string | null;
  updated_at: string | null;
}

export interface AuditAction {
  id: number;
  at: string;
  actor_id: string;
  actor_kind: string;
  roles: string[];
  method: string;
  route: string;
  resource: string;
  action: string;
  resource_ids: Record<string, string>;
  status: number;
  outcome: string;
  request_id: string;
  client_addr: string;
}

export interface AuditFilters {
  actor_id: string;
  resource: string;
  action: string;
  outcome: string;
}

export interface ChainCheck {
  verified: boolean;
  rows: number;
  broken_at: number | null;
}

/** Suggestions only (the notifier validates): new event types can be typed in freely. */
export const EVENT_TYPE_SUGGESTIONS = [
  "job_state_changed",
  "training_finished",
  "backtest_finished",
  "trading_state_changed",
  "order_decided",
  "kill_switch_engaged",
];

const enc = encodeURIComponent;

export const alerts = {
  listRules: (signal?: AbortSignal) =>
    request<{ rules: AlertRule[] }>("GET", "/api/v1/alert-rules?page_size=200", undefined, signal),
  createRule: (rule: AlertRuleInput) => request<AlertRule>("POST", "/api/v1/alert-rules", rule),
  deleteRule: (id: string) => request<void>("DELETE", `/api/v1/alert-rules/${enc(id)}`),
  list: (pageSize: number, signal?: AbortSignal) =>
    request<AlertList>("GET", `/api/v1/alerts?page_size=${pageSize}`, undefined, signal),
  markRead: (ids: string[], all = false) =>
    request<{ marked: number }>("POST", "/api/v1/alerts:mark-read", { alert_ids: ids, all }),
  deliveries: (deadOnly: boolean, signal?: AbortSignal) =>
    request<{ deliveries: Delivery[] }>(
      "GET",
      `/api/v1/alert-deliveries?page_size=200&dead_only=${deadOnly}`,
      undefined,
      signal,
    ),
  replay: (id: string) =>
    request<Delivery>("POST", `/api/v1/alert-deliveries/${enc(id)}:replay`),
};

export const audit = {
  search: (filters: AuditFilters, signal?: AbortSignal) => {
    const q = new URLSearchParams({ page_size: "200" });
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    return request<{ entries: AuditAction[] }>(
      "GET",
      `/api/v1/audit/actions?${q.toString()}`,
      undefined,
      signal,
    );
  },
  verify: (signal?: AbortSignal) =>
    request<ChainCheck>("GET", "/api/v1/audit/actions:verify", undefined, signal),
};
