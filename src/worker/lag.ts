// The job's one lag: now minus the source commit time of the newest change the topic holds. It
// moves forward when Kafka acknowledges a transaction, and when the source says it has nothing
// newer (a replication heartbeat) while everything read before is acknowledged; nothing else
// moves it, so it grows with wall time whenever the job is stuck, whatever the cause. /report,
// syncjob_lag_seconds and the SyncJob's status all read this clock.

export interface LagClock {
  /** Kafka acknowledged a source transaction committed at `seconds` (binlog time, 1 s resolution). */
  committed(seconds: number): void;
  /** At `ms` the source had nothing newer than what Kafka acknowledged. */
  caughtUp(ms: number): void;
  /** Seconds behind the source now; null until the first acknowledgement or heartbeat. */
  seconds(): number | null;
}

export function createLagClock(now: () => number = Date.now): LagClock {
  let heldMs: number | null = null;
  const advance = (ms: number) => {
    if (heldMs === null || ms > heldMs) heldMs = ms;
  };
  return {
    committed: (seconds) => advance(seconds * 1000),
    caughtUp: advance,
    // Clocks of source and worker differ a little: never a negative lag.
    seconds: () => (heldMs === null ? null : Math.max(0, (now() - heldMs) / 1000)),
  };
}
