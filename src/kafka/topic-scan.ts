// Reads a topic as a committed-only consumer that never commits (read-only for the topic's real
// consumers), handing each message to a callback, and stops at the topic's end as it was when the
// scan started. "The end" is per partition: a read_committed consumer never receives transaction
// markers, so the last offset it sees can stay below the high watermark; kafkajs reports the
// position it reached for every fetched batch (END_BATCH_PROCESS, also for marker-only batches),
// which is what is compared with the end.
import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from './kafkajs.ts';

export interface ScanOptions {
  kafka: Kafka;
  topic: string;
  /** From the start of every partition (true) or only messages written from now on. */
  fromBeginning: boolean;
  /** Stop once every partition reached the end it had when the scan started (needs fromBeginning). */
  untilEnd: boolean;
  /** Return false to stop the scan after this message. */
  onMessage(partition: number, message: KafkaMessage): boolean | undefined | Promise<boolean | undefined>;
  /** Ends the scan early (SIGINT, an idle timeout, a test's deadline). */
  signal?: AbortSignal;
}

export type ScanEnd = 'end' | 'stopped' | 'aborted';

/** Which partitions still have records to read: end offset per partition, minus those empty. */
export function remainingPartitions(
  offsets: { partition: number; low: string; high: string }[],
): Map<number, bigint> {
  const remaining = new Map<number, bigint>();
  for (const o of offsets) if (BigInt(o.high) > BigInt(o.low)) remaining.set(o.partition, BigInt(o.high));
  return remaining;
}

export async function scanTopic(opts: ScanOptions): Promise<ScanEnd> {
  if (opts.untilEnd && !opts.fromBeginning) throw new Error('scanTopic: untilEnd needs fromBeginning');
  let ends: ReadonlyMap<number, bigint> | undefined;
  let remaining: Map<number, bigint> | undefined;
  if (opts.untilEnd) {
    const admin = opts.kafka.admin();
    await admin.connect();
    try {
      ends = remainingPartitions(await admin.fetchTopicOffsets(opts.topic));
      remaining = new Map(ends);
    } finally {
      await admin.disconnect();
    }
    if (remaining.size === 0) return 'end';
  }
  const consumer = opts.kafka.consumer({
    groupId: `syncjob-scan-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.fromBeginning });
    return await new Promise<ScanEnd>((resolve, reject) => {
      let settled = false;
      const finish = (how: ScanEnd) => {
        if (settled) return;
        settled = true;
        resolve(how);
      };
      if (opts.signal?.aborted) return finish('aborted');
      opts.signal?.addEventListener('abort', () => finish('aborted'), { once: true });
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (!remaining) return;
        const end = remaining.get(payload.partition);
        if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) remaining.delete(payload.partition);
        if (remaining.size === 0) finish('end');
      });
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch, isRunning }) => {
            for (const message of batch.messages) {
              if (settled || !isRunning()) return;
              // Written after the scan started: beyond the end it reads to.
              if (ends && BigInt(message.offset) >= (ends.get(batch.partition) ?? 0n)) continue;
              // A failing callback ends the scan with its error: kafkajs would retry the batch forever.
              let more: boolean | undefined;
              try {
                more = (await opts.onMessage(batch.partition, message)) !== false;
              } catch (err) {
                settled = true;
                return reject(err);
              }
              if (!more) return finish('stopped');
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}
