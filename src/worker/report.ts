// What the worker tells whoever runs it (the operator polls it at /report; `syncjob run` logs it):
// progress and the conditions a person must act on. Numbers that change per event stay in metrics.
import type { BinlogResume } from '../offsets/job-offset.ts';
import { createHealth, type Health, type Problem } from './health.ts';
import { createLagClock, type LagClock } from './lag.ts';
import type { LiveState } from './metrics.ts';

export interface ReportCondition {
  reason: string;
  message: string;
  /** The way out, for the reasons that stop the job. */
  fix?: string;
  /** When it was first seen, ISO 8601. */
  since: string;
}

export interface InitializationProgress {
  tablesTotal: number;
  tablesDone: number;
  rows: number;
  done: boolean;
  /** The tables being copied now and their rows so far (at most `parallelism`). */
  tables: { table: string; rows: number }[];
}

export interface WorkerReportSnapshot {
  streaming: boolean;
  initialization: InitializationProgress | null;
  position: BinlogResume | null;
  /** Now minus the source commit time of the newest change the topic holds (lag.ts); null before one. */
  lagSeconds: number | null;
  /** What keeps the job from moving now, by side (health.ts); empty when nothing does. */
  problems: Problem[];
  conditions: ReportCondition[];
}

export interface WorkerReport {
  /** Records a condition once per (reason, message). */
  raise(reason: string, message: string, fix?: string): void;
  setStreaming(streaming: boolean): void;
  setPosition(position: BinlogResume | null): void;
  setInitialization(progress: InitializationProgress): void;
  readonly lag: LagClock;
  readonly health: Health;
  snapshot(): WorkerReportSnapshot;
}

/** What the worker's gauges read at each scrape. */
export const liveState = (report: WorkerReport): LiveState => ({
  lagSeconds: () => report.lag.seconds(),
  problems: () => report.health.problems(),
});

/** Ready: streaming, and neither side is failing or stalled. */
export const isReady = (report: WorkerReportSnapshot): boolean =>
  report.streaming && report.problems.length === 0;

export function createWorkerReport(now: () => Date = () => new Date()): WorkerReport {
  const lag = createLagClock(() => now().getTime());
  const health = createHealth(now);
  const conditions = new Map<string, ReportCondition>();
  let streaming = false;
  let position: BinlogResume | null = null;
  let initialization: InitializationProgress | null = null;
  return {
    raise(reason, message, fix) {
      const key = `${reason}\u0000${message}`;
      if (!conditions.has(key))
        conditions.set(key, { reason, message, ...(fix ? { fix } : {}), since: now().toISOString() });
    },
    setStreaming(s) {
      streaming = s;
    },
    setPosition(p) {
      position = p;
    },
    setInitialization(p) {
      initialization = p;
    },
    lag,
    health,
    snapshot: () => ({
      streaming,
      initialization,
      position,
      lagSeconds: lag.seconds(),
      problems: health.problems(),
      conditions: [...conditions.values()],
    }),
  };
}
