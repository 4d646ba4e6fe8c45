// Typed client of the gateway's risk routes (accounts, limits, orders, decisions, trading
// state, kill switch). Money and quantities are decimal strings, exactly as the API sends them.
import { request } from "./api";

export type TradingState = "ACTIVE" | "REDUCING" | "HALTED";
export type Side = "BUY" | "SELL";
export type OrderType = "MARKET" | "LIMIT";
export type OrderStatus =
  | "DENIED"
  | "PENDING_NEW"
  | "ACCEPTED"
  | "PARTIALLY_FILLED"
  | "FILLED"
  | "PENDING_CANCEL"
  | "CANCELLED"
  | "REJECTED"
  | "EXPIRED";

export const WORKING: OrderStatus[] = ["PENDING_NEW", "ACCEPTED", "PARTIALLY_FILLED", "PENDING_CANCEL"];

export interface Account {
  id: string;
  owner_id: string;
  name: string;
  mode: "PAPER" | "LIVE" | "";
  base_currency: string;
  broker: string;
  initial_cash: string;
  cash: string;
  equity: string;
  pnl: string;
  day_pnl: string;
  realized_pnl: string;
  unrealized_pnl: string;
  day_start_equity: string;
  high_water_mark: string;
  trading_state: TradingState | "";
  created_at: string | null;
  events_topic: string;
}

export interface Order {
  client_order_id: string;
  account_id: string;
  instrument_id: string;
  side: Side | "";
  order_type: OrderType | "";
  quantity: string;
  limit_price: string;
  time_in_force: string;
  reduce_only: boolean;
  status: OrderStatus | "";
  status_reason: string;
  filled_quantity: string;
  average_fill_price: string;
  decision_id: string;
  created_at: string | null;
  updated_at: string | null;
}

export interface OrderInput {
  client_order_id: string;
  instrument_id: string;
  side: Side;
  order_type: OrderType;
  quantity: string;
  limit_price: string | null;
  time_in_force: "DAY" | "GTC" | "IOC" | "FOK";
  reduce_only: boolean;
}

export interface Position {
  instrument_id: string;
  quantity: string;
  average_price: string;
  market_price: string;
  market_value: string;
  unrealized_pnl: string;
  realized_pnl: string;
  working_buy_quantity: string;
  working_sell_quantity: string;
}

export interface Violation {
  reason: string;
  message: string;
  value: string;
  limit: string;
}

export interface Check {
  check: string;
  passed: boolean;
  reason: string;
  value: string;
  limit: string;
}

export interface Decision {
  decision_id: string;
  sequence: number;
  decision: "ALLOW" | "DENY" | "";
  violations: Violation[];
  trading_state: TradingState | "";
  decided_at: string | null;
  order: Order | null;
  dry_run: boolean;
  actor: string;
  reference_price: string;
  reference_price_age_ms: number | null;
  position_before: string;
  position_after: string;
  gross_exposure_before: string;
  gross_exposure_after: string;
  check_latency_us: number | null;
  checks: Check[];
  limits_version: number;
  prev_hash: string;
  entry_hash: string;
}

export interface OrderResult {
  decision: Decision;
  order: Order | null;
  replayed: boolean;
}

export const DECIMAL_LIMITS = [
  "max_order_quantity",
  "max_order_notional",
  "max_gross_exposure",
  "max_net_exposure",
  "max_leverage",
  "max_daily_loss",
  "max_drawdown",
  "price_collar_bps",
  "max_orders_per_second",
  "max_deployment_orders_per_second",
] as const;
export const COUNT_LIMITS = [
  "max_working_orders",
  "order_burst",
  "max_reference_age_ms",
  "duplicate_window_ms",
  "max_consecutive_denials",
  "max_consecutive_losses",
  "breaker_cooldown_seconds",
] as const;
export type DecimalLimit = (typeof DECIMAL_LIMITS)[number];
export type CountLimit = (typeof COUNT_LIMITS)[number];

export type Limits = Record<DecimalLimit, string> &
  Record<CountLimit, number> & {
    max_position: Record<string, string>;
    allowed_instruments: string[];
    version: number;
    updated_by: string;
    updated_at: string | null;
  };

export interface StateRecord {
  scope: string;
  scope_id: string;
  trading_state: TradingState | "";
  previous_state: TradingState | "";
  reason: string;
  updated_by: string;
  updated_at: string | null;
  cooldown_until: string | null;
  change_id: string;
}

export interface KillResult {
  kill_id: string;
  state: StateRecord | null;
  working_orders: number;
  cancels_acknowledged: number;
  cancels_failed: number;
  flatten_orders_submitted: number;
  flatten_orders_denied: number;
  halt_ms: number | null;
  cancel_ms: number | null;
  total_ms: number | null;
}

/** Topic of platform-wide risk events (global state changes, global kills). */
export const GLOBAL_TOPIC = "risk_global";

const enc = encodeURIComponent;
const acc = (id: string) => `/api/v1/accounts/${enc(id)}`;

export const riskApi = {
  listAccounts: (signal?: AbortSignal) =>
    request<{ accounts: Account[]; next_page_token: string }>(
      "GET",
      "/api/v1/accounts?page_size=200",
      undefined,
      signal,
    ),
  getAccount: (id: string, signal?: AbortSignal) =>
    request<Account>("GET", acc(id), undefined, signal),
  createAccount: (input: { name: string; initial_cash: string; request_id: string }) =>
    request<Account>("POST", "/api/v1/accounts", { ...input, mode: "PAPER" }),
  positions: (id: string, signal?: AbortSignal) =>
    request<{ positions: Position[] }>("GET", `${acc(id)}/positions?page_size=500`, undefined, signal),
  workingOrders: (id: string, signal?: AbortSignal) =>
    request<{ orders: Order[] }>("GET", `${acc(id)}/orders?working=true&page_size=500`, undefined, signal),
  submitOrder: (id: string, input: OrderInput) =>
    request<OrderResult>("POST", `${acc(id)}/orders`, input),
  cancelOrder: (id: string, clientOrderId: string) =>
    request<Order>("POST", `${acc(id)}/orders/${enc(clientOrderId)}:cancel`),
  decisions: (id: string, signal?: AbortSignal) =>
    request<{ decisions: Decision[] }>(
      "GET",
      `/api/v1/decisions?account_id=${enc(id)}&page_size=50`,
      undefined,
      signal,
    ),
  getDecision: (id: string, signal?: AbortSignal) =>
    request<Decision>("GET", `/api/v1/decisions/${enc(id)}`, undefined, signal),
  limits: (id: string, signal?: AbortSignal) =>
    request<Limits>("GET", `${acc(id)}/limits`, undefined, signal),
  setLimits: (id: string, body: Record<string, unknown>) =>
    request<Limits>("PUT", `${acc(id)}/limits`, body),
  stateChanges: (id: string, signal?: AbortSignal) =>
    request<{ changes: StateRecord[] }>(
      "GET",
      `${acc(id)}/trading-state/changes?page_size=20`,
      undefined,
      signal,
    ),
  globalState: (signal?: AbortSignal) =>
    request<StateRecord>("GET", "/api/v1/trading-state?scope=GLOBAL", undefined, signal),
  setState: (id: string, trading_state: TradingState, reason: string) =>
    request<StateRecord>("PUT", `${acc(id)}/trading-state`, { trading_state, reason }),
  kill: (id: string, reason: string, flatten: boolean) =>
    request<KillResult>("POST", "/api/v1/kill-switch", {
      scope: "ACCOUNT",
      scope_id: id,
      reason,
      flatten,
    }),
};

/** A decimal string for display: thousands separators, at most `digits` decimals. */
export function formatDecimal(value: string, digits = 2): string {
  if (!value) return "—";
  const n = Number(value);
  if (!Number.isFinite(n)) return value;
  return n.toLocaleString("en-US", { maximumFractionDigits: digits });
}

/** "green" for gains, "red" for losses, dimmed for zero or unknown. */
export function pnlColor(value: string): string | undefined {
  const n = Number(value);
  if (!value || !Number.isFinite(n) || n === 0) return "dimmed";
  return n > 0 ? "green" : "red";
}

/** What the caller's roles let it do on the console (the risk service decides; this only hides
 * controls that would certainly be refused). */
export function riskPowers(roles: string[]): { trades: boolean; governs: boolean } {
  const has = (r: string) => roles.includes(r) || roles.includes("admin");
  return { trades: has("trader"), governs: has("risk_officer") };
}
