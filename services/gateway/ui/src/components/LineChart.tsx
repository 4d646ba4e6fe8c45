import {
  AreaSeries,
  ColorType,
  HistogramSeries,
  LineSeries,
  createChart,
} from "lightweight-charts";
import type { IChartApi, ISeriesApi, Time, UTCTimestamp } from "lightweight-charts";
import { useEffect, useRef } from "react";

export interface ChartPoint {
  /** Seconds since the epoch, or a training step when the chart is `byStep`. */
  x: number;
  y: number;
}

export interface ChartSeries {
  label: string;
  color: string;
  points: ChartPoint[];
  area?: boolean;
}

/** A background band at `x` (the chart shades each point's time slot in `color`). */
export interface ChartBand {
  x: number;
  color: string;
}

const BANDS = "__bands";
const NO_BANDS: ChartBand[] = [];

const PALETTE = ["#4263eb", "#f08c00", "#2f9e44", "#e03131", "#7048e8", "#1098ad"];

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Strictly increasing x (the chart's requirement); a later duplicate wins. */
function ordered(points: ChartPoint[]): { time: UTCTimestamp; value: number }[] {
  const byX = new Map<number, number>();
  for (const p of points) if (Number.isFinite(p.y)) byX.set(p.x, p.y);
  return [...byX.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([x, y]) => ({ time: x as UTCTimestamp, value: y }));
}

/**
 * Lines over time or training steps. The chart is created once; new points only replace the
 * series data and refit the view, so live updates do not flicker.
 */
export function LineChart({
  series,
  bands = NO_BANDS,
  byStep = false,
  height = 260,
  testId,
}: {
  series: ChartSeries[];
  /** Full-height background shading, e.g. market-dynamics regimes. */
  bands?: ChartBand[];
  byStep?: boolean;
  height?: number;
  testId?: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const lines = useRef(new Map<string, ISeriesApi<"Line"> | ISeriesApi<"Area">>());
  const shading = useRef<ISeriesApi<"Histogram"> | null>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return undefined;
    const stepLabel = (t: Time) => String(t);
    const chart = createChart(element, {
      autoSize: true,
      height,
      layout: {
        background: { type: ColorType.Solid, color: "#ffffff" },
        textColor: "#333",
        attributionLogo: true,
      },
      grid: { vertLines: { color: "#f0f0f0" }, horzLines: { color: "#f0f0f0" } },
      timeScale: byStep
        ? { tickMarkFormatter: stepLabel, timeVisible: true }
        : { timeVisible: false },
      localization: byStep ? { timeFormatter: stepLabel } : undefined,
    });
    chartRef.current = chart;
    const seriesMap = lines.current;
    return () => {
      seriesMap.clear();
      shading.current = null;
      chartRef.current = null;
      chart.remove();
    };
  }, [byStep, height]);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    if (bands.length > 0 && !shading.current) {
      // Bars of constant height on their own full-height scale, drawn behind the lines.
      shading.current = chart.addSeries(HistogramSeries, {
        priceScaleId: BANDS,
        lastValueVisible: false,
        priceLineVisible: false,
      });
      chart.priceScale(BANDS).applyOptions({ scaleMargins: { top: 0, bottom: 0 }, visible: false });
    }
    shading.current?.setData(
      [...new Map(bands.map((b) => [b.x, b.color])).entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([x, color]) => ({ time: x as UTCTimestamp, value: 1, color })),
    );
    for (const s of series) {
      let line = lines.current.get(s.label);
      if (!line) {
        line = s.area
          ? chart.addSeries(AreaSeries, {
              lineColor: s.color,
              topColor: `${s.color}10`,
              bottomColor: `${s.color}55`,
              lineWidth: 2,
              title: s.label,
            })
          : chart.addSeries(LineSeries, { color: s.color, lineWidth: 2, title: s.label });
        lines.current.set(s.label, line);
      }
      line.setData(ordered(s.points));
    }
    chart.timeScale().fitContent();
  }, [series, bands, byStep, height]);

  const points = series.reduce((n, s) => n + new Set(s.points.map((p) => p.x)).size, 0);
  return (
    <div
      ref={container}
      style={{ width: "100%", height }}
      data-testid={testId}
      data-points={points}
      data-bands={bands.length}
    />
  );
}
