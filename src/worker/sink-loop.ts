// The sink side of the pipeline: drains the queue in batches, one acknowledged write at a time, so
// a partition's order is the binlog order. Each write carries the job offset of its last entry, so
// Kafka's data and the offset that says where it ends never disagree (atomically so on
// transactional brokers). The reader keeps encoding into the queue while a write is in flight.
import type { JobOffset } from '../offsets/job-offset.ts';
import type { RecordSink, SinkMessage } from '../sink/record-sink.ts';
import type { BoundedQueue } from './bounded-queue.ts';
import { type Health, UNAVAILABLE } from './health.ts';
import type { LagClock } from './lag.ts';
import type { WorkerMetrics } from './metrics.ts';

/** What the loop needs of a queue entry: a record (or null for the end of a source transaction). */
export interface SinkEntry {
  message: SinkMessage | null;
  operation: string;
  /** Source commit time, seconds (for COMMIT entries: lag and commit-to-ack). */
  position: { timestamp: number };
}

export interface SinkLoopOptions<E extends SinkEntry> {
  queue: Pick<BoundedQueue<E>, 'take' | 'waitForItems' | 'stats'>;
  sink: Pick<RecordSink, 'write' | 'lastFailure'>;
  /** The job offset if a write ends at `entry`, and the message that stores it. */
  offsetAt(entry: E): { offset: JobOffset; message: SinkMessage };
  /** Told of each offset once Kafka acknowledged the write that ends there, with the entries it covered. */
  acknowledged(offset: JobOffset, entries: number): void;
  metrics: WorkerMetrics;
  lag: LagClock;
  /** A write not acknowledged within `slowWriteMs` is shown here until one is. */
  health: Pick<Health, 'problem' | 'healthy'>;
  slowWriteMs?: number;
  batchMaxRecords: number;
  batchMaxBytes: number;
  /**
   * A batch with no records (only ends of unrelated transactions) still moves the offset, but at
   * most this often, so a job whose tables are quiet does not write an offset per transaction.
   * Other markers (the end of initialization) are written at once: status waits for them.
   */
  idleOffsetIntervalMs?: number;
  now?: () => number;
}

const IDLE_OFFSET_INTERVAL_MS = 1000;
// A write Kafka has not acknowledged for this long is shown (status names Kafka) while the client
// keeps trying; the sink's own call timeout fails the attempt later, and the worker reconnects.
export const SLOW_WRITE_MS = 10_000;

/** Resolves once the queue is closed and everything in it acknowledged; rejects when a write fails. */
export async function runSinkLoop<E extends SinkEntry>(opts: SinkLoopOptions<E>): Promise<void> {
  const now = opts.now ?? Date.now;
  const idleInterval = opts.idleOffsetIntervalMs ?? IDLE_OFFSET_INTERVAL_MS;
  const slowWriteMs = opts.slowWriteMs ?? SLOW_WRITE_MS;
  const { queue, metrics } = opts;
  let lastOffsetWrite = 0;
  for (;;) {
    const batch = await queue.take(opts.batchMaxRecords, opts.batchMaxBytes);
    if (batch.length === 0) return;
    // Nothing but ends of transactions: their offset alone can wait out the interval, but never
    // hold back a record. Whatever arrives meanwhile joins this batch and is written at once.
    while (onlyCommits(batch) && now() - lastOffsetWrite < idleInterval) {
      if (!(await queue.waitForItems(idleInterval - (now() - lastOffsetWrite)))) break;
      const more = await queue.take(opts.batchMaxRecords, opts.batchMaxBytes);
      if (more.length === 0) break;
      for (const e of more) batch.push(e);
    }
    const messages: SinkMessage[] = [];
    let bytes = 0;
    for (const e of batch) {
      if (e.message) {
        messages.push(e.message);
        bytes += e.message.value.length;
      }
    }
    const { offset, message } = opts.offsetAt(batch[batch.length - 1]!);
    const started = performance.now();
    const slow = setTimeout(() => {
      const cause = opts.sink.lastFailure();
      opts.health.problem(
        'kafka',
        UNAVAILABLE.kafka,
        `a write to Kafka was not acknowledged for ${slowWriteMs / 1000}s${cause ? `; the client reported: ${cause}` : ''}`,
      );
    }, slowWriteMs);
    try {
      await opts.sink.write(messages, message);
    } finally {
      clearTimeout(slow);
    }
    opts.health.healthy('kafka');
    lastOffsetWrite = now();
    opts.acknowledged(offset, batch.length);
    metrics.sendDuration.observe((performance.now() - started) / 1000);
    metrics.bytes.inc(bytes);
    countBatch(batch, metrics, opts.lag, now() / 1000);
    const stats = queue.stats();
    metrics.queueDepth.set(stats.items);
    metrics.queueBytes.set(stats.bytes);
  }
}

const onlyCommits = (batch: readonly SinkEntry[]) =>
  batch.every((e) => e.message === null && e.operation === 'COMMIT');

// Counted per batch: a labelled counter lookup per row would cost more than the row.
function countBatch(batch: readonly SinkEntry[], metrics: WorkerMetrics, lag: LagClock, nowSeconds: number) {
  const byOperation: Record<string, number> = {};
  let lastCommit: SinkEntry['position'] | null = null;
  for (const e of batch) {
    if (e.message) {
      byOperation[e.operation] = (byOperation[e.operation] ?? 0) + 1;
    } else if (e.operation === 'COMMIT') {
      lastCommit = e.position;
      metrics.transactions.inc();
      metrics.commitToAckSeconds.observe(Math.max(0, nowSeconds - e.position.timestamp));
    }
  }
  for (const [operation, n] of Object.entries(byOperation)) metrics.events.inc({ operation }, n);
  if (lastCommit) lag.committed(lastCommit.timestamp);
}
