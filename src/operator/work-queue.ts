// The operator's work queue, with client-go's guarantees for a level-triggered reconciler keyed by
// `namespace/name`: a key waits in the queue at most once, is never handed to two workers at the
// same time, and a key added while it is being processed runs once more after `done`. Because
// reconcile reads the whole object each time, collapsing many adds into one run loses nothing.
// Retries back off per key; polling uses requeue-after. Time comes from an injected clock so the
// tests drive it by hand.

import { isRetriable } from '../errors.ts';

/** The only source of time the queue uses; the operator passes the real timers, tests a fake. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WorkQueueOptions {
  clock: Clock;
  /** Delay before the first rate-limited retry; each further failure doubles it. Default 5 ms. */
  baseDelayMs?: number;
  /** Ceiling of the retry delay. Default 1000 s. */
  maxDelayMs?: number;
}

export interface WorkQueue {
  /** Queues the key unless it is already queued; a key being processed is queued again after `done`. */
  add(key: string): void;
  /** The next key, waiting for one; `undefined` once shut down and drained. Call `done` after. */
  get(): Promise<string | undefined>;
  /** Ends the processing of a key handed out by `get`. */
  done(key: string): void;
  /** Adds the key after its per-key backoff delay, and counts the failure. */
  addRateLimited(key: string): void;
  /** Resets the key's backoff (after a success, or an error retrying cannot fix). */
  forget(key: string): void;
  /** Failures counted since the last `forget`. */
  numRequeues(key: string): number;
  /** Adds the key after `ms`; the soonest pending delay for a key wins. */
  addAfter(key: string, ms: number): void;
  /** Accepts no new keys, drops delayed ones; `get` hands out what is queued, then `undefined`. */
  shutDown(): void;
  /** Keys waiting to be handed out (the queue-depth metric); keys being processed are not counted. */
  len(): number;
}

export function createWorkQueue(opts: WorkQueueOptions): WorkQueue {
  const { clock } = opts;
  const baseDelayMs = opts.baseDelayMs ?? 5;
  const maxDelayMs = opts.maxDelayMs ?? 1_000_000;

  // Keys in hand-out order. Shifting is O(n), but n is the number of SyncJobs, not rows.
  const queue: string[] = [];
  // Keys that need a run: those in `queue`, and those added again while being processed.
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const waiters: ((key: string | undefined) => void)[] = [];
  const delayed = new Map<string, { readyAt: number; handle: unknown }>();
  const failures = new Map<string, number>();
  let shuttingDown = false;

  const take = (): string => {
    const key = queue.shift()!;
    dirty.delete(key);
    processing.add(key);
    return key;
  };

  // A waiting getter receives its key here, already marked processing, so no later getter can
  // take the same key between the wake-up and the moment the first one runs.
  const dispatch = () => {
    while (waiters.length > 0 && queue.length > 0) waiters.shift()!(take());
    if (shuttingDown && queue.length === 0) {
      for (const waiter of waiters.splice(0)) waiter(undefined);
    }
  };

  const cancelDelayed = (key: string) => {
    const pending = delayed.get(key);
    if (pending === undefined) return;
    clock.clearTimeout(pending.handle);
    delayed.delete(key);
  };

  const add = (key: string) => {
    if (shuttingDown) return;
    // Every run of a key schedules its own follow-up (requeue-after or backoff), so a run now
    // supersedes a pending delayed add.
    cancelDelayed(key);
    if (dirty.has(key)) return;
    dirty.add(key);
    if (processing.has(key)) return;
    queue.push(key);
    dispatch();
  };

  const addAfter = (key: string, ms: number) => {
    if (shuttingDown) return;
    if (ms <= 0) {
      add(key);
      return;
    }
    // Already due to run: that run will schedule its own follow-up.
    if (dirty.has(key)) return;
    const readyAt = clock.now() + ms;
    const pending = delayed.get(key);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      clock.clearTimeout(pending.handle);
    }
    const handle = clock.setTimeout(() => {
      delayed.delete(key);
      add(key);
    }, ms);
    delayed.set(key, { readyAt, handle });
  };

  return {
    add,
    addAfter,

    get() {
      if (queue.length > 0) return Promise.resolve(take());
      if (shuttingDown) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        waiters.push(resolve);
      });
    },

    done(key) {
      if (!processing.delete(key)) return;
      // Added while it ran: queue it now, so the next run sees the newest state. After shutDown
      // the getters may already have left, and a restarted operator lists every object anyway.
      if (dirty.has(key) && !shuttingDown) {
        queue.push(key);
        dispatch();
      }
    },

    addRateLimited(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      // The exponent is capped so a zero base never meets an infinite power (0 * Infinity = NaN).
      addAfter(key, Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(n, 64)));
    },

    forget(key) {
      failures.delete(key);
    },

    numRequeues: (key) => failures.get(key) ?? 0,

    shutDown() {
      shuttingDown = true;
      for (const key of [...delayed.keys()]) cancelDelayed(key);
      dispatch();
    },

    len: () => queue.length,
  };
}

/** A reconcile's success: nothing more (`undefined` or no return), or another look after a delay. */
export type ReconcileResult = { requeueAfterMs?: number } | undefined;

/**
 * Runs `concurrency` workers until the queue shuts down and drains. A success resets the key's
 * backoff and schedules the requested requeue; an error that retrying can fix backs off; an error
 * that cannot (`retriable === false`) is reported and not retried, since only a change to the
 * object (which adds the key again) can help. `onError` hears both kinds.
 */
export async function runWorkers(
  queue: WorkQueue,
  concurrency: number,
  reconcile: (key: string) => Promise<ReconcileResult>,
  onError: (key: string, err: unknown, retriable: boolean) => void,
): Promise<void> {
  const worker = async () => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        const result = await reconcile(key);
        queue.forget(key);
        if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        const retriable = isRetriable(err);
        if (retriable) queue.addRateLimited(key);
        else queue.forget(key);
        onError(key, err, retriable);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
