import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRetriable, SyncError } from '../../../src/errors.ts';
import type { KafkaClientOptions } from '../../../src/kafka/client.ts';
import {
  type Admin,
  Kafka,
  type KafkaConfig,
  logLevel,
  type SASLOptions,
} from '../../../src/kafka/kafkajs.ts';
import { createKafkaSink } from '../../../src/sink/kafka/kafka-sink.ts';
import type { RecordSink, SinkMessage } from '../../../src/sink/record-sink.ts';
import { testLogger } from '../../support/test-logger.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

// The sink against the test broker's SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)
// and SSL listener (a self-signed test CA): what it writes there can be read back with the same
// security settings, and a wrong password or an untrusted certificate is a terminal error that
// names the fix instead of an endless retry.
const { kafka: env } = testEnv();
const logger = testLogger('kafka-security sink');
const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
type Mechanism = (typeof MECHANISMS)[number];

function sink(
  extra: Pick<KafkaClientOptions, 'brokers'> & Partial<Pick<KafkaClientOptions, 'sasl' | 'tls'>>,
): RecordSink {
  return createKafkaSink({
    client: { clientId: uniqueName('security-test'), logger, ...extra },
    acks: 'all',
    compression: 'none',
    idempotent: true,
  });
}

function sasl(mechanism: Mechanism, password = env.sasl.password) {
  return { mechanism, username: env.sasl.user, password };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

/** Reads `count` messages of a topic from the beginning, as a kafkajs consumer with `config`. */
async function readBack(config: KafkaConfig, topic: string, count: number): Promise<string[]> {
  const consumer = new Kafka({ ...config, logLevel: logLevel.NOTHING }).consumer({
    groupId: uniqueName('security-reader'),
  });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${seen.length} of ${count} messages arrived on ${topic}`)),
        30_000,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            seen.push(`${partition}:${message.key?.toString()}=${message.value?.toString()}`);
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
  return seen.sort();
}

function batch(topic: string, tag: string): SinkMessage[] {
  return [0, 1, 1].map((partition, i) => ({
    topic,
    partition,
    key: Buffer.from(`k${i}`),
    value: Buffer.from(`${tag}-${i}`),
  }));
}

describe('Kafka sink security', () => {
  let admin: Admin;
  const topics: string[] = [];

  async function newTopic(prefix: string): Promise<string> {
    const topic = uniqueName(prefix);
    topics.push(topic);
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    return topic;
  }

  beforeAll(async () => {
    admin = new Kafka({
      clientId: 'security-admin',
      brokers: env.brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.disconnect();
  });

  it('the broker offers every mechanism the sink supports', () => {
    expect(env.sasl.mechanisms.map((m) => m.toLowerCase())).toEqual([...MECHANISMS]);
  });

  describe.each(MECHANISMS)('SASL %s', (mechanism) => {
    it('connects, counts partitions and writes a batch that a consumer with the same login reads', async () => {
      const topic = await newTopic(`sasl-${mechanism}`);
      const s = sink({ brokers: env.sasl.brokers, sasl: sasl(mechanism) });
      try {
        await s.connect();
        expect(await s.partitions(topic)).toBe(2);
        await s.write(batch(topic, mechanism), null);
      } finally {
        await s.close();
      }
      const read = await readBack(
        { clientId: 'security-reader', brokers: env.sasl.brokers, sasl: sasl(mechanism) as SASLOptions },
        topic,
        3,
      );
      expect(read).toEqual([`0:k0=${mechanism}-0`, `1:k1=${mechanism}-1`, `1:k2=${mechanism}-2`]);
    });

    it('fails to connect with a wrong password, terminally, naming the secret', async () => {
      const s = sink({ brokers: env.sasl.brokers, sasl: sasl(mechanism, `${env.sasl.password}-wrong`) });
      try {
        const err = await rejection(s.connect());
        expect(err).toBeInstanceOf(SyncError);
        expect(isRetriable(err)).toBe(false);
        expect(err).toMatchObject({ reason: 'KafkaAuthenticationFailed' });
        expect((err as SyncError).fix).toMatch(/target\.sasl\.secretRef/);
        expect((err as Error).message).not.toContain(env.sasl.password);
      } finally {
        await s.close();
      }
    });
  });

  describe('TLS', () => {
    const ca = readFileSync(env.ssl.ca, 'utf8');

    it('connects with the CA, counts partitions and writes a batch that a TLS consumer reads', async () => {
      const topic = await newTopic('tls');
      const s = sink({ brokers: env.ssl.brokers, tls: { ca } });
      try {
        await s.connect();
        expect(await s.partitions(topic)).toBe(2);
        await s.write(batch(topic, 'tls'), null);
      } finally {
        await s.close();
      }
      const read = await readBack(
        {
          clientId: 'security-reader',
          brokers: env.ssl.brokers,
          ssl: { ca: [ca], rejectUnauthorized: true },
        },
        topic,
        3,
      );
      expect(read).toEqual(['0:k0=tls-0', '1:k1=tls-1', '1:k2=tls-2']);
    });

    it('connects without the CA only when told to skip verification', async () => {
      const s = sink({ brokers: env.ssl.brokers, tls: { insecureSkipVerify: true } });
      try {
        await s.connect();
      } finally {
        await s.close();
      }
    });

    // kafkajs retries a failed handshake like any connection error before giving up (about 30 s).
    it('fails without the CA, terminally, naming caSecretRef and insecureSkipVerify', {
      timeout: 120_000,
    }, async () => {
      const s = sink({ brokers: env.ssl.brokers, tls: { insecureSkipVerify: false } });
      try {
        const err = await rejection(s.connect());
        expect(err).toBeInstanceOf(SyncError);
        expect(isRetriable(err)).toBe(false);
        expect(err).toMatchObject({ reason: 'KafkaTLSVerificationFailed' });
        expect((err as Error).message).toMatch(/certificate/);
        expect((err as SyncError).fix).toMatch(/target\.tls\.caSecretRef/);
        expect((err as SyncError).fix).toMatch(/insecureSkipVerify/);
      } finally {
        await s.close();
      }
    });
  });
});
