// Job offsets in a compacted Kafka topic, one key per job. Loading reads the topic up to a probe
// record this worker writes first: with read_committed, every offset committed before the probe
// (and nothing a fenced worker left open) has been seen once the probe arrives. Reading "to the end"
// instead is unreliable because transaction markers take offsets no consumer ever receives.
import { randomBytes } from 'node:crypto';
import type { Kafka } from '../kafka/kafkajs.ts';
import type { Logger } from '../log.ts';
import type { RecordSink } from '../sink/record-sink.ts';
import { decodeJobOffset, type JobOffset } from './job-offset.ts';

export interface OffsetStoreOptions {
  kafka: Kafka;
  /** The job's sink: the probe goes through the same (transactional) producer as the data. */
  sink: RecordSink;
  topic: string;
  key: Buffer;
  logger: Logger;
  timeoutMs?: number;
}

/** Creates the offsets topic when it is missing: one partition, compacted. */
export async function ensureOffsetsTopic(kafka: Kafka, topic: string, logger: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) return;
    const brokers = (await admin.describeCluster()).brokers.length;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: Math.min(3, brokers),
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
    logger.info({ topic }, 'Created offsets topic');
  } finally {
    await admin.disconnect();
  }
}

/** The job's last committed offset, or null when the job never wrote one. */
export async function loadJobOffset(opts: OffsetStoreOptions): Promise<JobOffset | null> {
  const nonce = randomBytes(16);
  const probeKey = Buffer.concat([opts.key, Buffer.from('\u0000probe')]);
  await opts.sink.write([], { topic: opts.topic, partition: 0, key: probeKey, value: nonce });

  const consumer = opts.kafka.consumer({
    groupId: `syncjob-offsets-reader-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
  });
  let latest: Buffer | null = null;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `offsets topic ${opts.topic}: the probe did not come back in ${opts.timeoutMs ?? 60_000} ms`,
            ),
          ),
        opts.timeoutMs ?? 60_000,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (batch.partition !== 0) return;
            for (const m of batch.messages) {
              if (m.key?.equals(opts.key)) latest = m.value;
              else if (m.key?.equals(probeKey) && m.value?.equals(nonce)) {
                clearTimeout(timer);
                resolve();
                return;
              }
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  const offset = decodeJobOffset(latest);
  if (latest !== null && offset === null) {
    opts.logger.warn(
      { topic: opts.topic },
      'Ignored an offset this version cannot read; starting from the configured position',
    );
  }
  return offset;
}

/**
 * Whether the job has a stored offset (one not deleted by a tombstone since), read without the
 * job's producer, which would fence a running worker. Reads uncommitted: an open transaction of the
 * job proves it wrote as well. The end is the high watermark, or a quiet second after a batch,
 * because transaction markers hold offsets no consumer receives.
 */
export async function hasStoredOffset(
  kafka: Kafka,
  topic: string,
  key: Buffer,
  timeoutMs = 20_000,
): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  let high: number;
  try {
    if (!(await admin.listTopics()).includes(topic)) return false;
    const partition = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0);
    high = Number(partition?.high ?? 0);
    if (high === 0 || Number(partition?.low ?? 0) >= high) return false;
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({
    groupId: `syncjob-offsets-check-${randomBytes(6).toString('hex')}`,
    readUncommitted: true,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<boolean>((resolve, reject) => {
      let stored = false;
      let quiet: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(deadline);
        clearTimeout(quiet);
        resolve(stored);
      };
      const deadline = setTimeout(finish, timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            clearTimeout(quiet);
            for (const m of batch.messages) if (m.key?.equals(key)) stored = m.value !== null;
            if (Number(batch.lastOffset()) + 1 >= high) return finish();
            quiet = setTimeout(finish, 1_000);
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

/** Writes the tombstone that removes the job's offset (compaction then drops it for good). */
export async function deleteJobOffset(kafka: Kafka, topic: string, key: Buffer): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return;
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ partition: 0, key, value: null }] });
  } finally {
    await producer.disconnect();
  }
}
