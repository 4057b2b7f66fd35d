// Job offsets in a compacted Kafka topic, one key per job. Loading reads the topic up to a probe
// record this worker writes first: with read_committed, every offset committed before the probe
// (and nothing a fenced worker left open) has been seen once the probe arrives. Reading "to the end"
// instead is unreliable because transaction markers take offsets no consumer ever receives.
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
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
