import { describe, expect, it } from 'vitest';
import type { JobOffset } from '../../../src/offsets/job-offset.ts';
import type { SinkMessage } from '../../../src/sink/record-sink.ts';
import { createBoundedQueue } from '../../../src/worker/bounded-queue.ts';
import { createHealth } from '../../../src/worker/health.ts';
import { createLagClock } from '../../../src/worker/lag.ts';
import { createWorkerMetrics } from '../../../src/worker/metrics.ts';
import { runSinkLoop, type SinkEntry } from '../../../src/worker/sink-loop.ts';

type Entry = SinkEntry & { at: number };

const record = (at: number): Entry => ({
  message: { topic: 't', partition: 0, key: null, value: Buffer.from(`r${at}`) },
  operation: 'INSERT',
  position: { timestamp: 0 },
  at,
});
const commit = (at: number): Entry => ({
  message: null,
  operation: 'COMMIT',
  position: { timestamp: 0 },
  at,
});
const offsetFor = (at: number): JobOffset => ({
  version: 1,
  binlog: { file: 'b.000001', position: at, gtid: '', rowsDone: 0 },
  nextId: at,
});

/** A RecordSink that keeps what it was asked to write; `gate` holds writes until released. */
function fakeSink() {
  const writes: { values: string[]; offset: string | null }[] = [];
  let release: () => void = () => undefined;
  let gate: Promise<void> | null = null;
  return {
    writes,
    hold() {
      gate = new Promise((r) => {
        release = r;
      });
    },
    release: () => release(),
    sink: {
      lastFailure: () => 'Connect to ipv4#127.0.0.1:9 failed: Connection refused',
      async write(batch: readonly SinkMessage[], offset: SinkMessage | null) {
        writes.push({
          values: batch.map((m) => m.value.toString()),
          offset: offset?.value.toString() ?? null,
        });
        if (gate) await gate;
      },
    },
  };
}

function setUp(idleOffsetIntervalMs = 10_000, write?: () => Promise<void>, slowWriteMs?: number) {
  const queue = createBoundedQueue<Entry>({
    highWaterBytes: 1 << 20,
    lowWaterBytes: 1 << 19,
    onPause: () => undefined,
    onResume: () => undefined,
  });
  const fake = fakeSink();
  const acked: number[] = [];
  const health = createHealth();
  const lag = createLagClock(() => 100_000);
  const loop = runSinkLoop({
    queue,
    sink: write ? { write, lastFailure: () => null } : fake.sink,
    offsetAt: (e) => ({
      offset: offsetFor(e.at),
      message: { topic: 'offsets', partition: 0, key: null, value: Buffer.from(`@${e.at}`) },
    }),
    acknowledged: (o) => acked.push(o.binlog.position),
    metrics: createWorkerMetrics({ job: 'sink-loop' }, { lagSeconds: () => null, problems: () => [] }),
    lag,
    health,
    batchMaxRecords: 3,
    batchMaxBytes: 1 << 20,
    idleOffsetIntervalMs,
    ...(slowWriteMs === undefined ? {} : { slowWriteMs }),
  });
  return { queue, fake, acked, loop, health, lag };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('the sink loop', () => {
  it('writes batches in queue order, each with the offset of its last entry, and ends when the queue closes', async () => {
    const { queue, fake, acked, loop } = setUp();
    for (const e of [record(1), record(2), commit(3), record(4), commit(5)]) queue.push(e, 10);
    queue.close();
    await loop;
    expect(fake.writes).toEqual([
      { values: ['r1', 'r2'], offset: '@3' },
      { values: ['r4'], offset: '@5' },
    ]);
    expect(acked).toEqual([3, 5]);
  });

  it('keeps queueing while a write is in flight, and takes what queued as the next batch', async () => {
    const { queue, fake, acked, loop } = setUp();
    fake.hold();
    queue.push(record(1), 10);
    await settle();
    expect(fake.writes).toHaveLength(1);
    queue.push(record(2), 10);
    queue.push(commit(3), 10);
    expect(acked).toEqual([]);
    fake.release();
    queue.close();
    await loop;
    expect(fake.writes.map((w) => w.offset)).toEqual(['@1', '@3']);
    expect(acked).toEqual([1, 3]);
  });

  it('lets an offset-only batch wait for the interval, but writes it at once when a record arrives', async () => {
    const { queue, fake, loop } = setUp(60_000);
    queue.push(record(1), 10);
    await settle();
    queue.push(commit(2), 10);
    await settle();
    // Only the end of a transaction: its offset waits (well within the 60 s interval).
    expect(fake.writes).toHaveLength(1);
    queue.push(record(3), 10);
    await settle();
    expect(fake.writes[1]).toEqual({ values: ['r3'], offset: '@3' });
    queue.close();
    await loop;
  });

  it('writes a marker other than a COMMIT (the end of initialization) without waiting out the interval', async () => {
    const { queue, fake, acked, loop } = setUp(60_000);
    queue.push(record(1), 10);
    await settle();
    queue.push({ ...commit(2), operation: 'SNAPSHOT' }, 0);
    await settle();
    expect(fake.writes[1]).toEqual({ values: [], offset: '@2' });
    expect(acked).toEqual([1, 2]);
    queue.close();
    await loop;
  });

  it('rejects when a write fails, acknowledging nothing of it', async () => {
    const { queue, acked, loop } = setUp(10_000, () => Promise.reject(new Error('the broker went away')));
    queue.push(record(1), 10);
    await expect(loop).rejects.toThrow('the broker went away');
    expect(acked).toEqual([]);
  });

  it('names Kafka while a write waits past the bound (with what the client reported), and clears it once acknowledged', async () => {
    const { queue, fake, loop, health } = setUp(0, undefined, 30);
    fake.hold();
    queue.push(record(1), 10);
    queue.push(commit(2), 10);
    await new Promise((r) => setTimeout(r, 80));
    expect(health.problems()).toEqual([
      expect.objectContaining({
        side: 'kafka',
        reason: 'KafkaUnavailable',
        message:
          'a write to Kafka was not acknowledged for 0.03s; the client reported: Connect to ipv4#127.0.0.1:9 failed: Connection refused',
      }),
    ]);
    fake.release();
    await settle();
    expect(health.problems()).toEqual([]);
    queue.close();
    await loop;
  });

  it('advances the lag to the commit time of the newest acknowledged transaction only', async () => {
    const { queue, fake, loop, lag } = setUp(0);
    expect(lag.seconds()).toBeNull();
    fake.hold();
    queue.push(record(1), 10);
    queue.push({ ...commit(2), position: { timestamp: 40 } }, 10);
    await settle();
    // Written, not yet acknowledged: the topic does not hold it.
    expect(lag.seconds()).toBeNull();
    fake.release();
    await settle();
    expect(lag.seconds()).toBe(60);
    queue.close();
    await loop;
  });
});
