export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString().slice(0, 10);
}

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "—";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString().slice(0, 16).replace("T", " ");
}

export function taskLabel(task: string): string {
  return task.replace(/_/g, " ");
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

export function newRequestId(): string {
  return crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

/** A metric value with sensible precision (large counts keep no decimals). */
export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (Math.abs(value) >= 1000) return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  return Number(value.toPrecision(digits)).toString();
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction >= 1 ? 0 : 1)}%`;
}

/** Seconds since the epoch; times without a zone are UTC (the backtest API omits it). */
export function epochSeconds(value: string): number {
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
  return Math.floor(Date.parse(zoned) / 1000);
}
