// The one entry to kafkajs: every module imports kafkajs from here (biome enforces it), so the fix
// below is in place before any connection exists.
//
// kafkajs 2.2.4 (its last release) re-arms a timer after every request with the delay
// `throttledUntil - Date.now()`, which is about minus the epoch when nothing is throttled
// (throttledUntil starts at -1). Node 24 warns (TimeoutNegativeWarning) and clamps it to 1 ms, so
// every connection also spins a 1 ms timer for its whole life (tulios/kafkajs#1704, #1751). The
// queue is checked anyway whenever a request is pushed or fulfilled, so a timer is needed only
// while requests wait: then after the throttle ends, or after kafkajs's own 10 ms interval.
import { createRequire } from 'node:module';

export * from 'kafkajs';

interface RequestQueueState {
  throttledUntil: number;
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The delay until the queue must be looked at again, or null when nothing waits for a timer. */
export function pendingCheckDelay(
  state: { throttledUntil: number; pending: unknown[] },
  now: number,
): number | null {
  const untilUnthrottled = state.throttledUntil - now;
  if (untilUnthrottled > 0) return untilUnthrottled;
  return state.pending.length > 0 ? CHECK_PENDING_REQUESTS_INTERVAL_MS : null;
}

function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId) return;
  const delay = pendingCheckDelay(this, Date.now());
  if (delay === null) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as {
  prototype: { scheduleCheckPendingRequests: () => void };
};
RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
