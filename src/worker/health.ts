// What keeps the job from moving right now, per side: the source (binlog connection, queries) or
// Kafka (connecting, a write not acknowledged). Set when a step of that side fails or stalls,
// cleared when that side makes progress again; /readyz fails while any is set, /report and the
// SyncJob's status show them by reason with the error's text.

import type { RetriableReason } from '../reasons.ts';

export const SIDES = ['source', 'kafka'] as const;
export type Side = (typeof SIDES)[number];

export interface Problem {
  side: Side;
  reason: string;
  message: string;
  /** When it was first seen, ISO 8601 (kept while the same reason persists). */
  since: string;
}

export interface Health {
  problem(side: Side, reason: string, message: string): void;
  healthy(side: Side): void;
  problems(): Problem[];
}

/** The reason a failure of each side is shown with, when the error names none of its own. */
export const UNAVAILABLE: Record<Side, RetriableReason> = {
  source: 'SourceUnavailable',
  kafka: 'KafkaUnavailable',
};

export function createHealth(now: () => Date = () => new Date()): Health {
  const current = new Map<Side, Problem>();
  return {
    problem(side, reason, message) {
      const since = current.get(side)?.reason === reason ? current.get(side)!.since : now().toISOString();
      current.set(side, { side, reason, message, since });
    },
    healthy(side) {
      current.delete(side);
    },
    problems: () => [...current.values()],
  };
}
