/**
 * Wakes an endpoint's lane as soon as an event for it is written in this process, instead of at its next poll. Lanes
 * running in other processes find the event when they next poll the outbox (WEBHOOK_POLL_MS).
 */
const waiting = new Map<string, Set<() => void>>();

export function nudgeLane(endpointId: string): void {
  const wakers = waiting.get(endpointId);
  if (!wakers) return;
  waiting.delete(endpointId);
  for (const wake of wakers) wake();
}

/** Resolves when the endpoint's lane is nudged, after `ms` at the latest, or at once when `signal` aborts. */
export function nudgeOrTimeout(endpointId: string, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wakers = waiting.get(endpointId) ?? new Set<() => void>();
    waiting.set(endpointId, wakers);
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      wakers.delete(wake);
      if (wakers.size === 0 && waiting.get(endpointId) === wakers) waiting.delete(endpointId);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
    wakers.add(wake);
  });
}
