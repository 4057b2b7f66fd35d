import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaSink } from '../../../src/sink/kafka/kafka-sink.ts';
import { createTopic, deleteTopics } from '../../support/sync-job.ts';
import { testLogger } from '../../support/test-logger.ts';
import { inTestenvShell, testEnv, uniqueName } from '../../support/testenv.ts';

// Every codec the schema offers is written for real: the broker's own consumer (Java) decodes what
// the sink wrote, and the partition on disk is a fraction of the same records uncompressed.
const env = testEnv();
const logger = testLogger('compression sink');
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const RECORDS = 2000;
const topics: string[] = [];

/** The size in bytes of partition 0 of `topic` on the broker's disk. */
async function partitionBytes(topic: string): Promise<number> {
  const out = await inTestenvShell(
    `kafka-log-dirs --bootstrap-server "$KAFKA_BROKERS" --describe --topic-list ${topic}`,
  );
  const json = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as {
    brokers: { logDirs: { partitions: { partition: string; size: number }[] }[] }[];
  };
  const partition = json.brokers
    .flatMap((b) => b.logDirs.flatMap((d) => d.partitions))
    .find((p) => p.partition === `${topic}-0`);
  return partition!.size;
}

describe('compression', () => {
  afterAll(() => deleteTopics(env, topics));

  const sizes = new Map<string, number>();
  it.each(CODECS)(
    '%s: the broker’s own consumer reads every record back; compressed, the partition is under a fifth of the size',
    async (codec) => {
      const topic = uniqueName(`codec-${codec}`);
      topics.push(topic);
      await createTopic(env, topic, 1);
      const sink = createKafkaSink({
        client: { brokers: env.kafka.brokers, clientId: uniqueName('codec'), logger },
        acks: 'all',
        compression: codec,
        idempotent: true,
        transactionalId: uniqueName('codec-tx'),
      });
      await sink.connect();
      try {
        const value = `${codec}-${'row '.repeat(50)}`;
        await sink.write(
          Array.from({ length: RECORDS }, (_, i) => ({
            topic,
            partition: 0,
            key: Buffer.from(`k${i}`),
            value: Buffer.from(`${i}:${value}`),
          })),
          null,
        );
      } finally {
        await sink.close();
      }
      const out = await inTestenvShell(
        `kafka-console-consumer --bootstrap-server "$KAFKA_BROKERS" --topic ${topic} --from-beginning --max-messages ${RECORDS} --isolation-level read_committed --timeout-ms 30000`,
      );
      const lines = out.split('\n').filter((l) => l.includes(`${codec}-row`));
      expect(lines).toHaveLength(RECORDS);
      expect(lines[0]).toBe(`0:${codec}-${'row '.repeat(50)}`);
      expect(lines[RECORDS - 1]).toMatch(new RegExp(`^${RECORDS - 1}:`));
      sizes.set(codec, await partitionBytes(topic));
      if (codec !== 'none') expect(sizes.get(codec)!).toBeLessThan(sizes.get('none')! / 5);
    },
  );
});
