import { decodeRecord } from '../../src/format/dts-avro/codec.ts';
import type { DtsRecord } from '../../src/format/dts-avro/schema.ts';
import { Kafka, logLevel } from '../../src/kafka/kafkajs.ts';
import { scanTopic } from '../../src/kafka/topic-scan.ts';

/** A message as Kafka holds it, whatever its format. */
export interface RawMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
}

export interface TopicMessage {
  partition: number;
  offset: string;
  key: string | null;
  record: DtsRecord;
}

/**
 * Hands every message of a topic (read_committed, from the beginning) to `each`, as it is, without
 * keeping them: up to the topic's end as it is when called, or, with `count`, until that many
 * arrived (failing after `timeoutMs`). Returns how many were read.
 */
export async function foldRaw(
  brokers: string[],
  topic: string,
  each: (m: RawMessage) => void,
  until: { count?: number; timeoutMs?: number } = {},
): Promise<number> {
  const timeoutMs = until.timeoutMs ?? 120_000;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  let read = 0;
  try {
    const end = await scanTopic({
      kafka: new Kafka({ clientId: 'test-reader', brokers, logLevel: logLevel.NOTHING }),
      topic,
      fromBeginning: true,
      untilEnd: until.count === undefined,
      signal: deadline.signal,
      onMessage(partition, m) {
        each({ partition, offset: m.offset, key: m.key?.toString() ?? null, value: m.value! });
        read++;
        return until.count === undefined || read < until.count;
      },
    });
    if (end === 'aborted') {
      const wanted = until.count === undefined ? 'its end' : `${until.count} messages`;
      throw new Error(`read ${read} messages of ${topic} in ${timeoutMs} ms, not ${wanted}`);
    }
    return read;
  } finally {
    clearTimeout(timer);
  }
}

/** foldRaw with each message decoded as DTS-Avro. */
export const foldTopic = (
  brokers: string[],
  topic: string,
  each: (m: TopicMessage) => void,
  until: { count?: number; timeoutMs?: number } = {},
): Promise<number> =>
  foldRaw(brokers, topic, ({ value, ...m }) => each({ ...m, record: decodeRecord(value) }), until);

/** The first `count` messages of a topic, waiting up to `timeoutMs` for them to arrive. */
export async function readTopic(
  brokers: string[],
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<TopicMessage[]> {
  const messages: TopicMessage[] = [];
  await foldTopic(brokers, topic, (m) => messages.push(m), { count, timeoutMs });
  return messages;
}

/**
 * Every message of a topic up to its end as it is now. Keeps them all: for topics whose size the
 * test bounds; large ones are folded (foldTopic) instead.
 */
export async function readAll(brokers: string[], topic: string): Promise<TopicMessage[]> {
  const messages: TopicMessage[] = [];
  await foldTopic(brokers, topic, (m) => messages.push(m));
  return messages;
}

/** Topic messages of one partition, in offset order. */
export const inPartition = (messages: TopicMessage[], partition: number) =>
  messages
    .filter((m) => m.partition === partition)
    .sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
