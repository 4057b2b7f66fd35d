// What the worker tells whoever runs it (the operator polls it at /report; `syncjob run` logs it):
// progress and the conditions a person must act on. Numbers that change per event stay in metrics.
import type { BinlogResume } from '../offsets/job-offset.ts';

export interface ReportCondition {
  reason: string;
  message: string;
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
  /** Seconds the last acknowledged transaction took from its source commit to Kafka; null before one. */
  lagSeconds: number | null;
  conditions: ReportCondition[];
}

export interface WorkerReport {
  /** Records a condition once per (reason, message). */
  raise(reason: string, message: string): void;
  setStreaming(streaming: boolean): void;
  setPosition(position: BinlogResume | null): void;
  setInitialization(progress: InitializationProgress): void;
  setLag(seconds: number | null): void;
  snapshot(): WorkerReportSnapshot;
}

export function createWorkerReport(now: () => Date = () => new Date()): WorkerReport {
  const conditions = new Map<string, ReportCondition>();
  let streaming = false;
  let position: BinlogResume | null = null;
  let initialization: InitializationProgress | null = null;
  let lagSeconds: number | null = null;
  return {
    raise(reason, message) {
      const key = `${reason}\u0000${message}`;
      if (!conditions.has(key)) conditions.set(key, { reason, message, since: now().toISOString() });
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
    setLag(seconds) {
      lagSeconds = seconds;
    },
    snapshot: () => ({
      streaming,
      initialization,
      position,
      lagSeconds,
      conditions: [...conditions.values()],
    }),
  };
}
