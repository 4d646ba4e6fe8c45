// Training-job helpers the UI needs: final states and merging metric points. Which controls a
// job accepts comes from the server (`allowed_actions`), never from a table here.
import type { MetricPoint } from "./api";

export type JobAction = "pause" | "resume" | "cancel";

export function isFinal(state: string): boolean {
  return state === "SUCCEEDED" || state === "FAILED" || state === "CANCELLED";
}

export const RETURN_METRIC = "charts/episodic_return";

/** Loss curves worth charting (`losses/td_loss`, `losses/policy_loss`, ...). */
export function isLossMetric(name: string): boolean {
  return name.startsWith("losses/") && name.endsWith("loss");
}

/** Metric name -> step -> value; the same step from history and the live stream is kept once. */
export type MetricHistory = Map<string, Map<number, number>>;

export function mergePoints(history: MetricHistory, points: MetricPoint[]): MetricHistory {
  const next: MetricHistory = new Map(history);
  const copied = new Set<string>();
  for (const p of points) {
    let steps = next.get(p.name);
    if (!steps || !copied.has(p.name)) {
      steps = new Map(steps ?? []);
      next.set(p.name, steps);
      copied.add(p.name);
    }
    steps.set(p.step, p.value);
  }
  return next;
}
