import {
  CandlestickSeries,
  ColorType,
  HistogramSeries,
  createChart,
} from "lightweight-charts";
import type { UTCTimestamp } from "lightweight-charts";
import { useEffect, useRef } from "react";
import type { Ohlcv } from "../api";

const UP = "#26a69a";
const DOWN = "#ef5350";

/** Candlesticks with a volume pane below when the dataset has volume. */
export function CandleChart({ bars, height = 420 }: { bars: Ohlcv; height?: number }) {
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const chart = createChart(element, {
      autoSize: true,
      height,
      layout: {
        background: { type: ColorType.Solid, color: "#ffffff" },
        textColor: "#333",
        attributionLogo: true,
      },
      grid: { vertLines: { color: "#f0f0f0" }, horzLines: { color: "#f0f0f0" } },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    const times = bars.time.map((t) => Math.floor(Date.parse(t) / 1000) as UTCTimestamp);
    const candles = chart.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      borderVisible: false,
      wickUpColor: UP,
      wickDownColor: DOWN,
    });
    candles.setData(
      times.map((time, i) => ({
        time,
        open: bars.open[i],
        high: bars.high[i],
        low: bars.low[i],
        close: bars.close[i],
      })),
    );
    const volume = bars.volume;
    if (volume) {
      const histogram = chart.addSeries(HistogramSeries, { priceFormat: { type: "volume" } }, 1);
      histogram.setData(
        times.map((time, i) => ({
          time,
          value: volume[i],
          color: bars.close[i] >= bars.open[i] ? `${UP}99` : `${DOWN}99`,
        })),
      );
      chart.panes()[1]?.setHeight(Math.round(height * 0.22));
    }
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [bars, height]);

  return <div ref={container} style={{ width: "100%", height }} data-testid="price-chart" />;
}
