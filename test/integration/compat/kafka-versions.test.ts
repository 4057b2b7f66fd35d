import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncError } from '../../../src/errors.ts';
import { type Admin, Kafka, logLevel } from '../../../src/kafka/kafkajs.ts';
import { createKafkaSink } from '../../../src/sink/kafka/kafka-sink.ts';
import type { RecordSink, SinkMessage } from '../../../src/sink/record-sink.ts';
import { expectConfiguredCompatBrokers, runningCompatBrokers } from '../../support/compat-brokers.ts';
import { testLogger } from '../../support/test-logger.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

// The product's Kafka sink against brokers of the versions the managed service offers, beside the
// default broker: `scripts/testenv.sh up kafka-compat` starts them (0.10.2.2 by default, what
// `make test` runs; `make test-compat` starts 0.10.2.2, 1.0.2 and 3.9.1 and runs this file).
// Every broker that runs is tested; one that testenv is configured to start but is not running
// fails the file instead of being skipped.
const fullEnv = testEnv();
const running = runningCompatBrokers(fullEnv);
const logger = testLogger('kafka-versions sink');

// 0.10 predates idempotence, transactions and headers (all 0.11): the product writes to it
// without them (target.version 0.10, at-least-once) and transactionally to every later version.
const hasTransactions = (version: string) => !version.startsWith('0.');

/** The names and messages of an error and the errors it wraps. */
function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    parts.push(`${e.name}: ${e.message}`);
  }
  return parts.join(' <- ');
}

describe('Kafka compat brokers', () => {
  it('runs every broker testenv is configured to start', () => {
    expectConfiguredCompatBrokers(fullEnv);
  });
});

for (const broker of running) {
  const { version, brokers } = broker;
  const transactions = hasTransactions(version);

  describe(`Kafka ${version} (${brokers.join(',')})`, () => {
    const kafka = new Kafka({ clientId: 'compat-test', brokers, logLevel: logLevel.NOTHING });
    let admin: Admin;
    const topics: string[] = [];

    async function createTopic(prefix: string, numPartitions: number): Promise<string> {
      const topic = uniqueName(prefix);
      await admin.createTopics({
        topics: [{ topic, numPartitions, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      topics.push(topic);
      return topic;
    }

    /** Reads `count` messages from the beginning of a topic as `partition:value`, each partition in offset order. */
    async function readBack(topic: string, count: number, readUncommitted = false): Promise<string[]> {
      const consumer = kafka.consumer({ groupId: uniqueName('compat-reader'), readUncommitted });
      const seen: { partition: number; offset: bigint; value: string }[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                new Error(`only ${seen.length} of ${count} messages arrived on ${topic} (Kafka ${version})`),
              ),
            30_000,
          );
          consumer
            .run({
              autoCommit: false,
              eachMessage: async ({ partition, message }) => {
                seen.push({
                  partition,
                  offset: BigInt(message.offset),
                  value: message.value?.toString() ?? '',
                });
                if (seen.length >= count) {
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
      return seen
        .sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset))
        .map((m) => `${m.partition}:${m.value}`);
    }

    /** The product's sink, configured the way the worker configures it for this broker version. */
    function sink(mode: { idempotent: boolean; transactionalId?: string }): RecordSink {
      return createKafkaSink({
        client: { brokers, clientId: uniqueName('compat-sink'), logger },
        acks: 'all',
        compression: 'none',
        ...mode,
      });
    }

    beforeAll(async () => {
      admin = kafka.admin();
      await admin.connect();
    });

    afterAll(async () => {
      if (topics.length > 0) await admin.deleteTopics({ topics });
      await admin.disconnect();
    });

    it(`the sink (${transactions ? 'transactional' : 'not idempotent'}) counts partitions, refuses a missing topic, and writes batches that read back in order`, async () => {
      const topic = await createTopic('compat', 3);
      const offsets = await createTopic('compat-offsets', 1);
      const s = sink(
        transactions
          ? { idempotent: true, transactionalId: uniqueName('compat-sink-tx') }
          : { idempotent: false },
      );
      await s.connect();
      try {
        expect(await s.partitions(topic)).toBe(3);
        const missing = uniqueName('compat-missing');
        const err = await s.partitions(missing).then(
          () => expect.fail(`partitions(${missing}) resolved on a topic that does not exist`),
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(SyncError);
        expect(err).toMatchObject({ reason: 'TopicNotFound', retriable: false });

        const sent: string[] = [];
        for (let b = 0; b < 3; b++) {
          const batch: SinkMessage[] = [];
          for (let i = 0; i < 10; i++) {
            const partition = (b + i) % 3;
            const value = `b${b}-m${i}`;
            batch.push({ topic, partition, key: Buffer.from(`k${i}`), value: Buffer.from(value) });
            sent.push(`${partition}:${value}`);
          }
          const offset = {
            topic: offsets,
            partition: 0,
            key: Buffer.from('job'),
            value: Buffer.from(`through-b${b}`),
          };
          await s.write(batch, offset);
        }
        // Per partition, exactly what was sent, in the order it was sent; the offsets after them.
        const byPartition = (list: string[]) =>
          [0, 1, 2].map((p) => list.filter((m) => m.startsWith(`${p}:`)));
        expect(byPartition(await readBack(topic, sent.length))).toEqual(byPartition(sent));
        expect(await readBack(offsets, 3)).toEqual(['0:through-b0', '0:through-b1', '0:through-b2']);
      } finally {
        await s.close();
      }
    });

    if (transactions) {
      it('commits a transaction and hides an aborted one from a read_committed consumer', async () => {
        const topic = await createTopic('compat-tx', 1);
        const tx = kafka.producer({
          transactionalId: uniqueName('compat-tx'),
          idempotent: true,
          maxInFlightRequests: 1,
        });
        await tx.connect();
        try {
          const aborted = await tx.transaction();
          await aborted.send({ topic, messages: [{ key: 'k', value: 'aborted' }] });
          await aborted.abort();
          const committed = await tx.transaction();
          await committed.send({
            topic,
            messages: [
              { key: 'k', value: 'committed-1' },
              { key: 'k', value: 'committed-2' },
            ],
          });
          await committed.commit();
        } finally {
          await tx.disconnect();
        }
        expect(await readBack(topic, 2)).toEqual(['0:committed-1', '0:committed-2']);
        // The aborted record is in the log: read_committed filtered it, not a lost send.
        expect(await readBack(topic, 3, true)).toEqual(['0:aborted', '0:committed-1', '0:committed-2']);
      });
    } else {
      it('is really a pre-0.11 broker: an idempotent or transactional sink fails at once, naming target.version', async () => {
        const topic = await createTopic('compat-refused', 1);
        for (const mode of [
          { idempotent: true },
          { idempotent: true, transactionalId: uniqueName('compat-tx') },
        ]) {
          const s = sink(mode);
          const err = await s
            .connect()
            .then(() => s.write([{ topic, partition: 0, key: null, value: Buffer.from('x') }], null))
            .then(
              () => expect.fail(`Kafka ${version} accepted a producer with ${JSON.stringify(mode)}`),
              (e: unknown) => e,
            );
          await s.close();
          // InitProducerId (0.11) is not among the APIs the broker offers.
          expect(errorText(err)).toMatch(/requires Apache Kafka broker version >= 0\.11/);
          expect(err).toMatchObject({ retriable: false, reason: 'InvalidConfiguration' });
          expect((err as SyncError).fix).toMatch(/target\.version/);
        }
      });
    }
  });
}
