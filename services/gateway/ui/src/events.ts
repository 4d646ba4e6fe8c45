// Live platform events from WS /api/v1/events: one socket per subscriber, resume after a drop
// or a page reload from the last event id (kept in sessionStorage per topic set).
import { useEffect, useRef, useState } from "react";
import { reportUnauthorized, storedToken } from "./api";

export interface PlatformEvent {
  event_id: string;
  time: string | null;
  topic: string;
  type: string;
  payload: Record<string, unknown>;
}

/** `connecting` until the first heartbeat after subscribe; from then on nothing is missed. */
export type StreamStatus = "connecting" | "live" | "reconnecting" | "closed";

const CLOSE_UNAUTHENTICATED = 4401;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

function lastIdKey(topics: string[]): string {
  return `tm.events.last.${topics.join(",")}`;
}

export function eventsUrl(token: string): string {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}/api/v1/events?access_token=${encodeURIComponent(token)}`;
}

/**
 * Subscribes to `topics` while mounted. `onEvent` gets each event once (deduplicated by event
 * id); `onLive` runs after every (re)subscription is confirmed, the moment to (re)load state
 * over HTTP without a gap.
 */
export function useEventStream(
  topics: string[],
  onEvent: (event: PlatformEvent) => void,
  onLive?: () => void,
): StreamStatus {
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const handlers = useRef({ onEvent, onLive });
  handlers.current = { onEvent, onLive };
  const key = topics.join(",");

  useEffect(() => {
    if (!key) return undefined;
    const topicList = key.split(",");
    const storageKey = lastIdKey(topicList);
    const seen = new Set<string>();
    let socket: WebSocket | null = null;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;

    const connect = () => {
      const token = storedToken();
      if (!token) {
        setStatus("closed");
        return;
      }
      const ws = new WebSocket(eventsUrl(token));
      socket = ws;
      let subscribed = false;
      ws.onopen = () => {
        ws.send(
          JSON.stringify({
            type: "subscribe",
            topics: topicList,
            last_event_id: sessionStorage.getItem(storageKey) ?? "",
          }),
        );
      };
      ws.onmessage = (message) => {
        let event: PlatformEvent;
        try {
          event = JSON.parse(String(message.data)) as PlatformEvent;
        } catch {
          return;
        }
        if (event.type === "heartbeat") {
          if (!subscribed) {
            subscribed = true;
            attempt = 0;
            setStatus("live");
            handlers.current.onLive?.();
          }
          return;
        }
        if (event.type === "error" || !event.event_id || seen.has(event.event_id)) return;
        seen.add(event.event_id);
        sessionStorage.setItem(storageKey, event.event_id);
        handlers.current.onEvent(event);
      };
      ws.onclose = (close) => {
        if (stopped || socket !== ws) return;
        if (close.code === CLOSE_UNAUTHENTICATED) {
          setStatus("closed");
          reportUnauthorized();
          return;
        }
        setStatus("reconnecting");
        const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
        attempt += 1;
        timer = setTimeout(connect, delay);
      };
    };

    setStatus("connecting");
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close(1000, "unmounted");
    };
  }, [key]);

  return status;
}
