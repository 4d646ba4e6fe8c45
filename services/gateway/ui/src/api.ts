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
  splits: DatasetSplit[];
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

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") q.set(key, String(value));
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
  listStrategies: (pageToken = "", pageSize = 50, signal?: AbortSignal) =>
    request<StrategyList>(
      "GET",
      `/api/v1/strategies${query({ page_size: pageSize, page_token: pageToken })}`,
      undefined,
      signal,
    ),
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
  getDataset: (id: string, signal?: AbortSignal) =>
    request<Dataset>("GET", `/api/v1/datasets/${enc(id)}`, undefined, signal),
  ohlcv: (
    id: string,
    params: { tic: string; start?: string; end?: string; max_points?: number },
    signal?: AbortSignal,
  ) =>
    request<Ohlcv>("GET", `/api/v1/datasets/${enc(id)}/ohlcv${query(params)}`, undefined, signal),
};
