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
export async function readTopic(
  brokers: string[],
  topic: string,
  count: number,
  timeoutMs = 30_000,
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
      const timer = setTimeout(
        () =>
          reject(
            new Error(`only ${messages.length} of ${count} messages arrived on ${topic} in ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
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
            if (messages.length >= count) {
              clearTimeout(timer);
              resolve();
            }
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
