import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { decodeRecord } from '../../src/format/dts-avro/codec.ts';
import type { DtsRecord } from '../../src/format/dts-avro/schema.ts';

export interface TopicMessage {
  partition: number;
  offset: string;
  key: string | null;
  record: DtsRecord;
}

/** Reads a topic from the beginning (read_committed) until `count` messages arrived. */
export function readTopic(
  brokers: string[],
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<TopicMessage[]> {
  return read(brokers, topic, { count, timeoutMs });
}

/**
 * Reads a whole topic (read_committed) until no message arrived for `idleMs`. Only meaningful once
 * nothing more is being written, which the caller establishes first.
 */
export function readAll(brokers: string[], topic: string, idleMs = 3000): Promise<TopicMessage[]> {
  return read(brokers, topic, { count: Number.POSITIVE_INFINITY, idleMs, timeoutMs: 120_000 });
}

async function read(
  brokers: string[],
  topic: string,
  until: { count: number; idleMs?: number; timeoutMs: number },
): Promise<TopicMessage[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `test-reader-${randomBytes(4).toString('hex')}`,
    readUncommitted: false,
  });
  const messages: TopicMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        clearTimeout(idle);
        resolve();
      };
      const armIdle = () => {
        if (until.idleMs === undefined) return;
        clearTimeout(idle);
        idle = setTimeout(done, until.idleMs);
      };
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `only ${messages.length} of ${until.count} messages arrived on ${topic} in ${until.timeoutMs} ms`,
            ),
          ),
        until.timeoutMs,
      );
      armIdle();
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              messages.push({
                partition: batch.partition,
                offset: m.offset,
                key: m.key?.toString() ?? null,
                record: decodeRecord(m.value!),
              });
            }
            if (messages.length >= until.count) done();
            else armIdle();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** Topic messages of one partition, in offset order. */
export const inPartition = (messages: TopicMessage[], partition: number) =>
  messages
    .filter((m) => m.partition === partition)
    .sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
