// Typed client of the gateway's model registry routes (/api/v1/models, /api/v1/model-deployments).
import { request } from "./api";

export interface RegisteredModel {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  latest_version: number;
  aliases: Record<string, number>;
  create_time: string | null;
  update_time: string | null;
}

export interface VersionBacktest {
  id: string;
  state: string;
  dataset_id: string;
  summary_metrics: Record<string, number>;
  create_time: string | null;
}

export interface ModelDeployment {
  id: string;
  owner_id: string;
  model_id: string;
  version: number;
  account_id: string;
  mode: "paper" | "live";
  start_time: string | null;
  end_time: string | null;
}

export interface ModelVersion {
  model_id: string;
  version: number;
  owner_id: string;
  description: string;
  training_job_id: string;
  strategy_id: string;
  strategy_version: number;
  dataset_id: string;
  dataset_content_hash: string;
  model_uri: string;
  run_spec: Record<string, unknown>;
  run_record: Record<string, unknown>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  aliases: string[];
  ever_deployed: boolean;
  create_time: string | null;
  backtests: VersionBacktest[];
  deployments: ModelDeployment[];
}

export interface Comparison {
  versions: ModelVersion[];
  metrics: { name: string; values: (number | null)[] }[];
  differing_settings: { path: string; values: unknown[] }[];
}

export interface ModelEvent {
  sequence: number;
  kind: string;
  version: number;
  alias: string;
  tag_key: string;
  tag_value: string;
  account_id: string;
  actor: string;
  time: string | null;
}

const enc = encodeURIComponent;

export const registry = {
  listModels: (signal?: AbortSignal, sharedWithMe = false) =>
    request<{ models: RegisteredModel[]; next_page_token: string }>(
      "GET",
      `/api/v1/models?page_size=200${sharedWithMe ? "&shared_with_me=true" : ""}`,
      undefined,
      signal,
    ),
  createModel: (name: string, description: string, requestId: string) =>
    request<RegisteredModel>("POST", "/api/v1/models", {
      name,
      description,
      request_id: requestId,
    }),
  getModel: (id: string, signal?: AbortSignal) =>
    request<RegisteredModel>("GET", `/api/v1/models/${enc(id)}`, undefined, signal),
  listVersions: (id: string, signal?: AbortSignal) =>
    request<{ versions: ModelVersion[]; next_page_token: string }>(
      "GET",
      `/api/v1/models/${enc(id)}/versions?page_size=200`,
      undefined,
      signal,
    ),
  getVersion: (id: string, version: number, signal?: AbortSignal) =>
    request<ModelVersion>("GET", `/api/v1/models/${enc(id)}/versions/${version}`, undefined, signal),
  register: (id: string, trainingJobId: string) =>
    request<ModelVersion>("POST", `/api/v1/models/${enc(id)}/versions`, {
      training_job_id: trainingJobId,
    }),
  setAlias: (id: string, alias: string, version: number) =>
    request<RegisteredModel>("PUT", `/api/v1/models/${enc(id)}/aliases/${enc(alias)}`, { version }),
  compare: (id: string, versions: number[], signal?: AbortSignal) =>
    request<Comparison>(
      "GET",
      `/api/v1/models/${enc(id)}/versions:compare?${versions.map((v) => `versions=${v}`).join("&")}`,
      undefined,
      signal,
    ),
  history: (id: string, signal?: AbortSignal) =>
    request<{ events: ModelEvent[]; next_page_token: string }>(
      "GET",
      `/api/v1/models/${enc(id)}/history?page_size=500`,
      undefined,
      signal,
    ),
};
