// Typed client of the gateway's deployment routes (/api/v1/deployments), the fills of an
// account, and the live-vs-backtest tracking figures the deployment page shows.
import { request } from "./api";
import type { EquityPoint } from "./api";
import { epochSeconds } from "./format";
import type { Order } from "./risk";

export type DeploymentState =
  | "QUEUED"
  | "RUNNING"
  | "PAUSED"
  | "CANCELLING"
  | "CANCELLED"
  | "FAILED";

export interface DeploymentLimits {
  max_position_quantity: string;
  max_order_quantity: string;
  capital_fraction: string;
}

export interface Deployment {
  id: string;
  owner_id: string;
  model_id: string;
  model_version: number;
  account_id: string;
  instruments: string[];
  bar_source: string;
  bar_interval_seconds: number;
  mode: string;
  limits: DeploymentLimits;
  state: DeploymentState;
  /** Controls the trainer accepts now; `cancel` is stop. */
  allowed_actions: ("pause" | "resume" | "cancel")[];
  last_bar_time: string | null;
  bars_processed: number;
  orders_submitted: number;
  model_uri: string;
  failure_reason: string;
  attempt: number;
  registry_deployment_id: string;
  created_at: string | null;
  updated_at: string | null;
}

export interface DeploymentInput {
  model_id: string;
  model_version: number;
  account_id: string;
  instruments: string[];
  bar_source: string;
  bar_interval_seconds: number;
  mode: "paper";
  limits: DeploymentLimits;
  request_id: string;
}

/** An order of the risk service with the deployment fields it carries. */
export type DeploymentOrder = Order & { deployment_id: string; model_version: string };

export interface Fill {
  fill_id: string;
  account_id: string;
  client_order_id: string;
  instrument_id: string;
  side: "BUY" | "SELL" | "";
  quantity: string;
  price: string;
  fee: string;
  broker_fill_id: string;
  time: string | null;
}

const enc = encodeURIComponent;
const dep = (id: string) => `/api/v1/deployments/${enc(id)}`;

export const deploymentsApi = {
  list: (signal?: AbortSignal) =>
    request<{ deployments: Deployment[]; next_page_token: string }>(
      "GET",
      "/api/v1/deployments?page_size=200",
      undefined,
      signal,
    ),
  get: (id: string, signal?: AbortSignal) =>
    request<Deployment>("GET", dep(id), undefined, signal),
  create: (input: DeploymentInput) => request<Deployment>("POST", "/api/v1/deployments", input),
  pause: (id: string) => request<Deployment>("POST", `${dep(id)}:pause`),
  resume: (id: string) => request<Deployment>("POST", `${dep(id)}:resume`),
  stop: (id: string, flatten: boolean) =>
    request<Deployment>("POST", `${dep(id)}:stop`, { flatten }),
  equity: (id: string, pageToken = "", signal?: AbortSignal) =>
    request<{ samples: StoredEquitySample[]; next_page_token: string }>(
      "GET",
      `${dep(id)}/equity?page_size=10000&page_token=${enc(pageToken)}`,
      undefined,
      signal,
    ),
  orders: (accountId: string, signal?: AbortSignal) =>
    request<{ orders: DeploymentOrder[] }>(
      "GET",
      `/api/v1/accounts/${enc(accountId)}/orders?page_size=200`,
      undefined,
      signal,
    ),
  fills: (accountId: string, signal?: AbortSignal) =>
    request<{ fills: Fill[] }>(
      "GET",
      `/api/v1/accounts/${enc(accountId)}/fills?page_size=200`,
      undefined,
      signal,
    ),
};

/** One live equity sample: the account's equity once the deployment had processed the bar at
 * `time` (seconds since the epoch, market time). */
export interface EquitySample {
  time: number;
  equity: number;
}

export interface Tracking {
  /** The backtest's equity at the live samples' times, rescaled to the first live equity. */
  predicted: EquitySample[];
  /** Annualised std of the per-bar return difference (live − backtest), in basis points;
   * null with fewer than three common bars. */
  trackingErrorBps: number | null;
  commonBars: number;
}

const SECONDS_PER_YEAR = 365 * 86_400;

/**
 * Lines the live samples up with a backtest's equity curve on the same market times (the
 * backtest point at or before each live bar, none before its first point or after its last)
 * and computes the tracking error:
 *   TE = std(r_live − r_backtest) · √(periods per year) · 10⁴ bps,
 * with r the simple return from one compared sample to the next and periods per year
 * = 365 · 86 400 / mean spacing of the compared samples in seconds (= the bar interval when
 * every bar was sampled; daily bars: √365).
 */
export function tracking(live: EquitySample[], curve: EquityPoint[]): Tracking {
  const points = curve
    .map((p) => ({ time: epochSeconds(p.time), equity: p.equity }))
    .sort((a, b) => a.time - b.time);
  const none: Tracking = { predicted: [], trackingErrorBps: null, commonBars: 0 };
  if (points.length === 0 || live.length === 0) return none;
  const first = points[0].time;
  const last = points[points.length - 1].time;
  const pairs: { live: number; backtest: number; time: number }[] = [];
  let j = 0;
  for (const sample of live) {
    if (sample.time < first || sample.time > last) continue;
    while (j + 1 < points.length && points[j + 1].time <= sample.time) j += 1;
    pairs.push({ live: sample.equity, backtest: points[j].equity, time: sample.time });
  }
  if (pairs.length === 0) return none;
  const scale = pairs[0].backtest > 0 ? pairs[0].live / pairs[0].backtest : 1;
  const predicted = pairs.map((p) => ({ time: p.time, equity: p.backtest * scale }));
  const diffs: number[] = [];
  for (let i = 1; i < pairs.length; i += 1) {
    const a = pairs[i - 1];
    const b = pairs[i];
    if (a.live <= 0 || a.backtest <= 0) continue;
    diffs.push(b.live / a.live - 1 - (b.backtest / a.backtest - 1));
  }
  if (diffs.length < 2) return { predicted, trackingErrorBps: null, commonBars: pairs.length };
  const mean = diffs.reduce((s, d) => s + d, 0) / diffs.length;
  const variance = diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / (diffs.length - 1);
  const spacing = (pairs[pairs.length - 1].time - pairs[0].time) / (pairs.length - 1);
  const perYear = SECONDS_PER_YEAR / Math.max(1, spacing);
  return {
    predicted,
    trackingErrorBps: Math.sqrt(variance) * Math.sqrt(perYear) * 10_000,
    commonBars: pairs.length,
  };
}

/** One stored live equity sample as the gateway returns it. */
export interface StoredEquitySample {
  time: string | null;
  equity: string;
  bars_processed: number;
  orders_submitted: number;
}

/** Every stored live equity sample of a deployment (one per processed bar), oldest first;
 * `after` (seconds) keeps only later samples so a page can append what is new. */
export async function loadEquity(id: string, signal?: AbortSignal): Promise<EquitySample[]> {
  const out: EquitySample[] = [];
  let token = "";
  for (let page = 0; page < 100; page += 1) {
    const reply = await deploymentsApi.equity(id, token, signal);
    for (const s of reply.samples) {
      if (s.time) out.push({ time: epochSeconds(s.time), equity: Number(s.equity) });
    }
    token = reply.next_page_token;
    if (!token) break;
  }
  return out;
}
