// Typed client of the gateway's /api/v1 (shapes from its OpenAPI document).

export type TaskName =
  | "algorithmic_trading"
  | "portfolio_management"
  | "order_execution"
  | "high_frequency_trading";

export const TASKS: TaskName[] = [
  "algorithmic_trading",
  "portfolio_management",
  "order_execution",
  "high_frequency_trading",
];

export interface User {
  id: string;
  username: string;
  roles: string[];
  created_at: string;
}

export interface LoginResponse {
  access_token: string;
  token_type: string;
  expires_at: string;
  user: User;
}

export interface Me {
  subject: string;
  kind: "user" | "service";
  roles: string[];
  username: string | null;
}

export type Config = Record<string, unknown>;

/** A strategy shared read-only with one user. */
export interface StrategyShare {
  strategy_id: string;
  user_id: string;
  username: string;
  created_at: string;
}

export interface StrategyShareList {
  shares: StrategyShare[];
}

export interface Strategy {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  task: TaskName;
  agent: string;
  dataset_id: string;
  config: Config;
  version: number;
  etag: string;
  created_at: string;
  updated_at: string;
}

export interface StrategyList {
  strategies: Strategy[];
  next_page_token: string;
}

export interface StrategyInput {
  name: string;
  description: string;
  task: TaskName;
  agent: string;
  dataset_id: string;
  config: Config;
}

export interface FieldViolation {
  field: string;
  description: string;
}

export interface ValidateResponse {
  valid: boolean;
  violations: FieldViolation[];
  normalized_config: Config | null;
}

export interface JsonSchema {
  type?: string;
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
}

export interface ConfigSchema {
  json_schema: JsonSchema;
  schema_version: number;
  default_config: Config;
}

export interface Agent {
  agent: string;
  tasks: TaskName[];
  display_name: string;
}

export interface DatasetSplit {
  name: string;
  start_time: string | null;
  end_time: string | null;
  rows: number;
}

export interface Dataset {
  id: string;
  name: string;
  tasks: TaskName[];
  path: string;
  format: string;
  rows: number;
  assets: string[];
  start_time: string | null;
  end_time: string | null;
  frequency: string;
  columns: string[];
  content_hash: string;
  synthetic: boolean;
  owner_id?: string;
  version?: string;
  parent_dataset_id?: string;
  repairs?: string[];
  quality?: DatasetQuality;
  splits: DatasetSplit[];
}

/** Quality summary of a dataset; status "" until computed, "blocked" refuses jobs. */
export interface DatasetQuality {
  status: "" | "clean" | "warnings" | "blocked";
  errors: number;
  warnings: number;
  error_codes: string[];
  report_path: string;
}

export interface QualityFinding {
  code: string;
  severity: string;
  message: string;
  count: number;
  instrument?: string | null;
  column?: string | null;
  rows?: number[];
  times?: string[];
}

/** GET /datasets/{id}/quality: findings plus figure data (kept loose: extra keys pass). */
export interface QualityReport {
  status: DatasetQuality["status"];
  rows: number;
  findings: QualityFinding[];
  [key: string]: unknown;
}

export interface DatasetList {
  datasets: Dataset[];
  next_page_token: string;
}

export interface Ohlcv {
  dataset_id: string;
  tic: string;
  time: string[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[] | null;
  total_rows: number;
  bucket_rows: number;
}

export interface Ready {
  status: string;
  checks: Record<string, string>;
}

export type JobState =
  | "QUEUED"
  | "RUNNING"
  | "PAUSED"
  | "SUCCEEDED"
  | "FAILED"
  | "CANCELLING"
  | "CANCELLED";

export interface Resources {
  num_cpus: number;
  num_gpus: number;
  gpu_required: boolean;
}

export interface JobProgress {
  step: number;
  total_steps: number;
  fraction: number;
  episodic_return: number;
  sps: number;
}

export interface TrainingJob {
  id: string;
  owner_id: string;
  strategy_id: string;
  strategy_version: number;
  state: JobState;
  failure_reason: string;
  progress: JobProgress;
  overrides: Config;
  requested_resources: Resources | null;
  assigned_resources: Resources | null;
  device: string;
  final_metrics: Record<string, number>;
  run_record: {
    seed: number;
    config_hash: string;
    dataset_hash: string;
    library_versions: Record<string, string>;
    git_revision: string;
    /** Peak/mean usage of the final attempt; gpu_* keys only when a GPU was used. */
    resource_usage: Record<string, number>;
  } | null;
  checkpoint_uri: string;
  model_uri: string;
  created_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  updated_at: string | null;
  events_topic: string;
  /** Controls the trainer accepts in the current state (from its one transition table). */
  allowed_actions: ("pause" | "resume" | "cancel")[];
  /** 1-based place in the queue (priority, then age); 0 when not queued. */
  queue_position: number;
  /** Why a queued job waits, e.g. "waiting for 2 CPUs (1 of 4 free)" or "1 job ahead". */
  wait_reason: string;
  priority: number;
  /** Longest one run may last before it ends FAILED ("time limit"); 0 = no limit. */
  time_limit_seconds: number;
}

export interface TrainingJobInput {
  strategy_id: string;
  total_steps: number;
  seed: number;
  resources: Resources | null;
  request_id: string;
}

export interface TrainingJobList {
  jobs: TrainingJob[];
  next_page_token: string;
}

export interface MetricPoint {
  name: string;
  step: number;
  value: number;
  time: string | null;
}

export interface MetricList {
  metrics: MetricPoint[];
  next_page_token: string;
}

export interface Cluster {
  cpus_total: number;
  cpus_available: number;
  gpus_total: number;
  gpus_available: number;
  queued_jobs: number;
  running_jobs: number;
  cluster_reachable: boolean;
  /** Use by user; admins and risk officers see everyone, others only themselves. */
  users: ClusterUser[];
}

export interface ClusterUser {
  owner_id: string;
  running_jobs: number;
  queued_jobs: number;
  active_jobs: number;
  cpus_in_use: number;
  gpus_in_use: number;
}

export type BacktestState =
  | "QUEUED"
  | "RUNNING"
  | "SUCCEEDED"
  | "FAILED"
  | "CANCELLING"
  | "CANCELLED";

export type Baseline = "buy_and_hold" | "equal_weight" | "cash";

export interface BacktestInput {
  dataset_id: string;
  baseline?: Baseline;
  training_job_id?: string;
  start?: string;
  end?: string;
  initial_cash: number;
  fee_rate: number;
  fixed_fee: number;
  request_id: string;
}

export interface Backtest {
  id: string;
  owner_id: string;
  state: BacktestState;
  failure_reason: string;
  progress: number;
  summary_metrics: Record<string, number>;
  spec: Record<string, unknown>;
  events_topic: string;
  create_time: string | null;
  end_time: string | null;
  /** Controls the backtest service accepts in the current state. */
  allowed_actions: "cancel"[];
  /** Peak/mean cpu_percent and rss_mib (gpu_* only with a GPU) once finished. */
  resource_usage: Record<string, number>;
}

export interface BacktestList {
  backtests: Backtest[];
  next_page_token: string;
}

export interface EquityPoint {
  time: string;
  equity: number;
  benchmark_equity: number | null;
  drawdown: number;
  /** Market-dynamics label of the bar; "" when the dataset is unlabelled. */
  regime: string;
}

export interface Trade {
  time: string;
  asset: string;
  side: "buy" | "sell";
  effect: "entry" | "exit";
  quantity: number;
  price: number;
  fee: number;
  slippage: number;
  realized_pnl: number | null;
}

export interface Artifact {
  name: string;
  media_type: string;
  size_bytes: number;
  download_path: string;
}

export interface BacktestResult {
  id: string;
  metrics: Record<string, number>;
  equity_curve: EquityPoint[];
  trades: Trade[];
  next_trades_page_token: string;
  regimes: { regime: string; bars: number; metrics: Record<string, number> }[];
  artifacts: Artifact[];
  dynamics_tests: DynamicsTest[];
  resource_history: ResourceSample[];
}

/** One resource sample of a run; GPU fields are null without a GPU. */
export interface ResourceSample {
  t: number;
  cpu_percent: number;
  rss_mib: number;
  gpu_util_percent: number | null;
  gpu_memory_mib: number | null;
}

/** TradeMaster's dynamics test on one label: agent vs buy-and-hold and do-nothing. */
export interface DynamicsTest {
  label: string;
  segments: number;
  policies: { policy: string; metrics: Record<string, number> }[];
  /** 0 = do nothing, 50 = buy and hold. */
  scores: Record<string, number>;
}

/** An error answered by the gateway, in its one error-body shape. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly reason: string;
  readonly fieldViolations: FieldViolation[];
  readonly requestId: string;

  constructor(
    status: number,
    message: string,
    code = "",
    reason = "",
    fieldViolations: FieldViolation[] = [],
    requestId = "",
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.reason = reason;
    this.fieldViolations = fieldViolations;
    this.requestId = requestId;
  }
}

const TOKEN_KEY = "tm.token";
const USER_KEY = "tm.user";

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storedUser(): User | null {
  const raw = sessionStorage.getItem(USER_KEY);
  return raw ? (JSON.parse(raw) as User) : null;
}

export function storeSession(login: LoginResponse): void {
  sessionStorage.setItem(TOKEN_KEY, login.access_token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(login.user));
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
}

let onUnauthorized: () => void = () => undefined;

/** Called once by the app: what to do when a token is missing, expired or revoked. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** The event stream refused the token (close code 4401): same handling as an HTTP 401. */
export function reportUnauthorized(): void {
  onUnauthorized();
}

async function errorFrom(response: Response): Promise<ApiError> {
  try {
    const body = await response.json();
    const e = body?.error;
    if (e && typeof e.message === "string") {
      return new ApiError(
        response.status,
        e.message,
        e.code ?? "",
        e.reason ?? "",
        e.field_violations ?? [],
        e.request_id ?? "",
      );
    }
  } catch {
    // Not JSON (a proxy page): fall through to the status line.
  }
  return new ApiError(response.status, `${response.status} ${response.statusText}`);
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = storedToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, `gateway unreachable: ${String(error)}`);
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && token) onUnauthorized();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

function query(params: Record<string, string | number | string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) for (const v of value) q.append(key, v);
    else if (value !== undefined && value !== "") q.set(key, String(value));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

const enc = encodeURIComponent;

export const api = {
  login: (username: string, password: string) =>
    request<LoginResponse>("POST", "/api/v1/auth/login", { username, password }),
  me: (signal?: AbortSignal) => request<Me>("GET", "/api/v1/auth/me", undefined, signal),
  ready: (signal?: AbortSignal) => request<Ready>("GET", "/readyz", undefined, signal),
  listStrategies: (pageToken = "", pageSize = 50, signal?: AbortSignal, sharedWithMe = false) =>
    request<StrategyList>(
      "GET",
      `/api/v1/strategies${query({
        page_size: pageSize,
        page_token: pageToken,
        shared_with_me: sharedWithMe ? "true" : undefined,
      })}`,
      undefined,
      signal,
    ),
  listShares: (id: string, signal?: AbortSignal) =>
    request<StrategyShareList>("GET", `/api/v1/strategies/${enc(id)}/shares`, undefined, signal),
  shareStrategy: (id: string, username: string) =>
    request<StrategyShare>("POST", `/api/v1/strategies/${enc(id)}/shares`, { username }),
  unshareStrategy: (id: string, userId: string) =>
    request<void>("DELETE", `/api/v1/strategies/${enc(id)}/shares/${enc(userId)}`),
  getStrategy: (id: string, signal?: AbortSignal) =>
    request<Strategy>("GET", `/api/v1/strategies/${enc(id)}`, undefined, signal),
  createStrategy: (input: StrategyInput & { request_id: string }) =>
    request<Strategy>("POST", "/api/v1/strategies", input),
  updateStrategy: (id: string, patch: Partial<StrategyInput> & { etag: string }) =>
    request<Strategy>("PATCH", `/api/v1/strategies/${enc(id)}`, patch),
  deleteStrategy: (id: string, etag: string) =>
    request<void>("DELETE", `/api/v1/strategies/${enc(id)}${query({ etag })}`),
  validate: (task: TaskName, agent: string, datasetId: string, config: Config) =>
    request<ValidateResponse>("POST", "/api/v1/strategies:validate", {
      task,
      agent,
      dataset_id: datasetId,
      config,
    }),
  configSchema: (task: TaskName, agent: string, signal?: AbortSignal) =>
    request<ConfigSchema>(
      "GET",
      `/api/v1/config-schema${query({ task, agent })}`,
      undefined,
      signal,
    ),
  agents: (task?: TaskName, signal?: AbortSignal) =>
    request<{ agents: Agent[] }>("GET", `/api/v1/agents${query({ task })}`, undefined, signal),
  listDatasets: (pageToken = "", pageSize = 200, signal?: AbortSignal) =>
    request<DatasetList>(
      "GET",
      `/api/v1/datasets${query({ page_size: pageSize, page_token: pageToken })}`,
      undefined,
      signal,
    ),
  datasetQuality: (id: string, signal?: AbortSignal) =>
    request<QualityReport>("GET", `/api/v1/datasets/${enc(id)}/quality`, undefined, signal),
  getDataset: (id: string, signal?: AbortSignal) =>
    request<Dataset>("GET", `/api/v1/datasets/${enc(id)}`, undefined, signal),
  ohlcv: (
    id: string,
    params: { tic: string; start?: string; end?: string; max_points?: number },
    signal?: AbortSignal,
  ) =>
    request<Ohlcv>("GET", `/api/v1/datasets/${enc(id)}/ohlcv${query(params)}`, undefined, signal),
  createJob: (input: TrainingJobInput) =>
    request<TrainingJob>("POST", "/api/v1/training-jobs", input),
  listJobs: (
    params: {
      page_size?: number;
      page_token?: string;
      state?: JobState[];
      strategy_id?: string;
      shared_with_me?: "true";
    },
    signal?: AbortSignal,
  ) => request<TrainingJobList>("GET", `/api/v1/training-jobs${query(params)}`, undefined, signal),
  getJob: (id: string, signal?: AbortSignal) =>
    request<TrainingJob>("GET", `/api/v1/training-jobs/${enc(id)}`, undefined, signal),
  controlJob: (id: string, action: "pause" | "resume" | "cancel") =>
    request<TrainingJob>("POST", `/api/v1/training-jobs/${enc(id)}:${action}`),
  jobMetrics: (
    id: string,
    params: { start_step?: number; page_size?: number; page_token?: string },
    signal?: AbortSignal,
  ) =>
    request<MetricList>(
      "GET",
      `/api/v1/training-jobs/${enc(id)}/metrics${query(params)}`,
      undefined,
      signal,
    ),
  cluster: (signal?: AbortSignal) => request<Cluster>("GET", "/api/v1/cluster", undefined, signal),
  createBacktest: (input: BacktestInput) =>
    request<Backtest>("POST", "/api/v1/backtests", input),
  listBacktests: (
    params: { page_size?: number; page_token?: string; shared_with_me?: "true" },
    signal?: AbortSignal,
  ) =>
    request<BacktestList>("GET", `/api/v1/backtests${query(params)}`, undefined, signal),
  getBacktest: (id: string, signal?: AbortSignal) =>
    request<Backtest>("GET", `/api/v1/backtests/${enc(id)}`, undefined, signal),
  cancelBacktest: (id: string) =>
    request<Backtest>("POST", `/api/v1/backtests/${enc(id)}:cancel`),
  backtestResult: (
    id: string,
    params: { trades_page_size: number; trades_page_token?: string; max_equity_points?: number },
    signal?: AbortSignal,
  ) =>
    request<BacktestResult>(
      "GET",
      `/api/v1/backtests/${enc(id)}/result${query(params)}`,
      undefined,
      signal,
    ),
};

/** A file behind the bearer token (links cannot carry the header), saved through a blob URL. */
export async function downloadWithToken(path: string, filename: string): Promise<void> {
  const headers: Record<string, string> = {};
  const token = storedToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, { headers });
  } catch (error) {
    throw new ApiError(0, `gateway unreachable: ${String(error)}`);
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && token) onUnauthorized();
    throw error;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Multipart import with upload progress (fetch has none): resolves to the new dataset. */
export function uploadDataset(
  file: File,
  onProgress: (fraction: number) => void,
  name = "",
): Promise<Dataset> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/datasets${query({ name })}`);
    const token = storedToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, "gateway unreachable"));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: the status line below says enough
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body as Dataset);
        return;
      }
      if (xhr.status === 401 && token) onUnauthorized();
      const err = (body as { error?: { message?: string } } | null)?.error;
      reject(new ApiError(xhr.status, err?.message ?? `${xhr.status} ${xhr.statusText}`));
    };
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}
