import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from '../../../src/kafka/kafkajs.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

// Proves the test broker accepts plain and transactional produce on a single node (every internal
// topic at replication factor 1) and serves committed data back to a read_committed consumer.
describe('test Kafka broker', () => {
  const { kafka: env } = testEnv();
  const kafka = new Kafka({ clientId: 'testenv-smoke', brokers: env.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topic = uniqueName('smoke');

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  async function consumeAll(count: number): Promise<string[]> {
    const consumer = kafka.consumer({ groupId: uniqueName('smoke-group'), readUncommitted: false });
    const values: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              values.push(message.value?.toString() ?? '');
              if (values.length >= count) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return values;
  }

  it('reports a broker of the configured version line', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(env.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('commits a transaction, hides an aborted one, and serves both plain and transactional records', async () => {
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic, acks: -1, messages: [{ key: 'k', value: 'plain' }] });
    await plain.disconnect();

    const tx = kafka.producer({
      transactionalId: uniqueName('smoke-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await tx.connect();
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
    await tx.disconnect();

    expect(await consumeAll(3)).toEqual(['plain', 'committed-1', 'committed-2']);
  });
});
