// The Kafka sink (kafkajs). With a transactional id every write is one Kafka transaction holding
// the records and the offset that covers them: exactly-once, and a second worker of the same job
// fences the first. Without one (Kafka 0.10), the offset is written after the records are
// acknowledged: at-least-once, replaying at most the last batch.
import { ConfigError, SyncError } from '../../errors.ts';
import { createTopicCommand } from '../../kafka/cli-commands.ts';
import { CompressionTypes, type Kafka, Partitioners, type Producer } from '../../kafka/kafkajs.ts';
import type { RecordSink, SinkMessage } from '../record-sink.ts';
import { classifyConnectError, classifySendError, type SendContext } from './kafka-errors.ts';

export type Acks = 'all' | 'leader' | 'none';
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface KafkaSinkOptions {
  kafka: Kafka;
  /** The bootstrap servers the client uses, for the commands that fix messages show. */
  brokers: readonly string[];
  acks: Acks;
  compression: Compression;
  /** Idempotent producer (no duplicates on retry); needs brokers 0.11+ and acks=all. */
  idempotent: boolean;
  /** Transactions (exactly-once); needs brokers 0.11+, implies idempotent. */
  transactionalId?: string;
}

const ACKS: Record<Acks, number> = { all: -1, leader: 1, none: 0 };

// kafkajs ships gzip only; the other codecs need a codec package registered by the user.
const CODECS: Partial<Record<Compression, CompressionTypes>> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

type TopicMessages = {
  topic: string;
  messages: { key: Buffer | null; value: Buffer; partition: number }[];
}[];

function largestRecord(messages: readonly SinkMessage[]): SendContext['largest'] {
  let largest: SendContext['largest'] = null;
  for (const m of messages) {
    const bytes = m.value.length + (m.key?.length ?? 0);
    if (!largest || bytes > largest.bytes) largest = { topic: m.topic, bytes };
  }
  return largest;
}

function byTopic(messages: readonly SinkMessage[]): TopicMessages {
  const grouped = new Map<string, TopicMessages[number]['messages']>();
  for (const m of messages) {
    let list = grouped.get(m.topic);
    if (!list) {
      list = [];
      grouped.set(m.topic, list);
    }
    list.push({ key: m.key, value: m.value, partition: m.partition });
  }
  return [...grouped].map(([topic, msgs]) => ({ topic, messages: msgs }));
}

export function createKafkaSink(opts: KafkaSinkOptions): RecordSink {
  const compression = CODECS[opts.compression];
  if (compression === undefined) {
    throw new ConfigError(
      `target.compression ${opts.compression} is not available in this build`,
      'use compression none or gzip',
    );
  }
  const idempotent = opts.idempotent || opts.transactionalId !== undefined;
  if (idempotent && opts.acks !== 'all') {
    throw new ConfigError('exactly-once and idempotent writes need target.acks all', 'set target.acks: all');
  }
  const admin = opts.kafka.admin();
  // One request in flight keeps the order of a partition even when a retry happens. An idempotent
  // producer must never give up a retry (a gap would break its sequence numbers), so it retries
  // until the broker answers; lag and the send-duration metric show a broker that is down.
  const producer: Producer = opts.kafka.producer({
    idempotent,
    maxInFlightRequests: 1,
    ...(opts.transactionalId === undefined
      ? {}
      : { transactionalId: opts.transactionalId, transactionTimeout: 60_000 }),
    // The partition is always chosen by us (src/sink/partitioner.ts); this only silences kafkajs.
    createPartitioner: Partitioners.DefaultPartitioner,
    // A transaction may start while the coordinator still writes the previous commit's markers
    // (CONCURRENT_TRANSACTIONS, after nearly every commit at a high rate); that clears within
    // milliseconds, so a transactional producer retries every ~20 ms, as the Java producer does
    // for it, rather than backing off exponentially into seconds of latency.
    ...(opts.transactionalId !== undefined
      ? { retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 20, multiplier: 1, maxRetryTime: 20 } }
      : idempotent
        ? { retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 20, maxRetryTime: 10_000 } }
        : {}),
  });
  const partitionCache = new Map<string, number>();
  const acks = ACKS[opts.acks];

  async function writeInTransaction(batch: readonly SinkMessage[], offset: SinkMessage | null) {
    const tx = await producer.transaction();
    try {
      await tx.sendBatch({ acks, compression, topicMessages: byTopic(offset ? [...batch, offset] : batch) });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
  }

  async function writePlain(batch: readonly SinkMessage[], offset: SinkMessage | null) {
    if (batch.length > 0) await producer.sendBatch({ acks, compression, topicMessages: byTopic(batch) });
    if (offset) await producer.sendBatch({ acks, compression, topicMessages: byTopic([offset]) });
  }

  return {
    async connect() {
      await Promise.all([admin.connect(), producer.connect()]).catch((err: unknown) => {
        throw classifyConnectError(err);
      });
    },

    async partitions(topic) {
      const cached = partitionCache.get(topic);
      if (cached !== undefined) return cached;
      const topics = await admin.listTopics();
      if (!topics.includes(topic)) {
        throw new SyncError(`Kafka topic ${topic} does not exist`, {
          retriable: false,
          reason: 'TopicNotFound',
          fix: `create it (the job never creates topics): ${createTopicCommand(opts.brokers, topic)}`,
        });
      }
      const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      const count = meta?.partitions.length ?? 0;
      partitionCache.set(topic, count);
      return count;
    },

    async write(batch, offset) {
      if (batch.length === 0 && offset === null) return;
      await (opts.transactionalId === undefined
        ? writePlain(batch, offset)
        : writeInTransaction(batch, offset)
      ).catch((err: unknown) => {
        throw classifySendError(err, {
          brokers: opts.brokers,
          largest: largestRecord(offset ? [...batch, offset] : batch),
        });
      });
    },

    async close() {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}
