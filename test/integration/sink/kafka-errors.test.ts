import { describe, expect, it } from 'vitest';
import { SyncError } from '../../../src/errors.ts';
import { createKafkaSink } from '../../../src/sink/kafka/kafka-sink.ts';
import type { RecordSink } from '../../../src/sink/record-sink.ts';
import { createTopic, deleteTopics } from '../../support/sync-job.ts';
import { testLogger } from '../../support/test-logger.ts';
import { inTestenvShell, testEnv, uniqueName } from '../../support/testenv.ts';

// Terminal Kafka errors carry a fix whose command runs as written (in the shell README sets up)
// and, once run, lets the same write succeed.
const env = testEnv();
const logger = testLogger('kafka-errors sink');

const sinkFor = (transactionalId?: string): RecordSink =>
  createKafkaSink({
    client: { brokers: env.kafka.brokers, clientId: uniqueName('errors-test'), logger },
    acks: 'all',
    compression: 'none',
    idempotent: true,
    ...(transactionalId === undefined ? {} : { transactionalId }),
  });

async function terminal(promise: Promise<unknown>): Promise<SyncError> {
  const err = await promise.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SyncError);
  expect((err as SyncError).retriable).toBe(false);
  return err as SyncError;
}

const commandIn = (fix: string | undefined, tool: string) =>
  new RegExp(`${tool} [^;(]+[^;( ]`).exec(fix ?? '')?.[0];

describe('terminal Kafka errors', () => {
  it('TopicNotFound names only the topic and gives the kafka-topics command that creates it', async () => {
    const topic = uniqueName('missing');
    const sink = sinkFor();
    await sink.connect();
    try {
      const err = await terminal(sink.partitions(topic));
      expect(err.reason).toBe('TopicNotFound');
      const command = commandIn(err.fix, 'kafka-topics');
      expect(command).toBe(
        `kafka-topics --bootstrap-server ${env.kafka.brokers.join(',')} --create --topic ${topic}`,
      );
      await inTestenvShell(command!);
      expect(await sink.partitions(topic)).toBeGreaterThan(0);
    } finally {
      await sink.close();
      await deleteTopics(env, [topic]);
    }
  });

  it('RecordTooLarge names the topic and a max.message.bytes that fits, set by its kafka-configs command', {
    timeout: 90_000,
  }, async () => {
    const topic = uniqueName('small');
    await createTopic(env, topic, 1);
    try {
      await inTestenvShell(
        `kafka-configs --bootstrap-server "$KAFKA_BROKERS" --alter --entity-type topics --entity-name ${topic} --add-config max.message.bytes=20000`,
      );
      const record = { topic, partition: 0, key: Buffer.from('k'), value: Buffer.alloc(1_500_000, 7) };
      const sink = sinkFor(`syncjob-test/${topic}`);
      await sink.connect();
      let fix: string | undefined;
      try {
        const err = await terminal(sink.write([record], null));
        expect(err.reason).toBe('RecordTooLarge');
        expect(err.message).toContain(`a record of 1500001 bytes for topic ${topic}`);
        fix = err.fix;
      } finally {
        await sink.close();
      }
      const command = commandIn(fix, 'kafka-configs');
      expect(command).toBe(
        `kafka-configs --bootstrap-server ${env.kafka.brokers.join(',')} --alter --entity-type topics --entity-name ${topic} --add-config max.message.bytes=3145728`,
      );
      await inTestenvShell(command!);
      // A new worker of the job (the old producer's transaction is dead) now writes the record.
      const again = sinkFor(`syncjob-test/${topic}`);
      await again.connect();
      try {
        await again.write([record], null);
      } finally {
        await again.close();
      }
    } finally {
      await deleteTopics(env, [topic]);
    }
  });
});
