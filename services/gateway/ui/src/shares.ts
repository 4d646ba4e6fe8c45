// Typed client of the read-only share routes of every shareable resource
// (/api/v1/{strategies,training-jobs,backtests,models}/{id}/shares).
import { request } from "./api";

/** What can be shared read-only, named by its REST collection. */
export type ShareKind = "strategies" | "training-jobs" | "backtests" | "models";

/** One user a resource is shared with (strategy shares name it strategy_id, others resource_id). */
export interface ResourceShare {
  user_id: string;
  username: string;
  created_at: string;
}

const enc = encodeURIComponent;
const base = (kind: ShareKind, id: string) => `/api/v1/${kind}/${enc(id)}/shares`;

export const shares = {
  list: (kind: ShareKind, id: string, signal?: AbortSignal) =>
    request<{ shares: ResourceShare[] }>("GET", base(kind, id), undefined, signal),
  share: (kind: ShareKind, id: string, username: string) =>
    request<ResourceShare>("POST", base(kind, id), { username }),
  unshare: (kind: ShareKind, id: string, userId: string) =>
    request<void>("DELETE", `${base(kind, id)}/${enc(userId)}`),
};

/** What a user it is shared with may do, in the dialog's words. */
export const SHARE_NOTE: Record<ShareKind, string> = {
  strategies: "Users you share with can see this strategy and its config, but not change or delete it.",
  "training-jobs":
    "Users you share with can see this training job and its metrics, but not pause, resume or cancel it.",
  backtests: "Users you share with can see this backtest, its result and report, but not cancel it.",
  models:
    "Users you share with can see this model, its versions, aliases and history, but not change any of them.",
};
