import { describe, expect, it } from 'vitest';
import { Kafka, logLevel } from '../../../src/kafka/kafkajs.ts';
import { scanTopic } from '../../../src/kafka/topic-scan.ts';
import { createTopic, deleteTopics, produce } from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

const env = testEnv();

describe('scanTopic', () => {
  it('reads to the end, and ends with the error of a failing callback instead of retrying it', {
    timeout: 60_000,
  }, async () => {
    const topic = uniqueName('scan');
    await createTopic(env, topic, 1);
    try {
      await produce(env, topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
      const kafka = new Kafka({
        clientId: 'test-scan',
        brokers: env.kafka.brokers,
        logLevel: logLevel.NOTHING,
      });
      const seen: string[] = [];
      const scan = (onMessage: Parameters<typeof scanTopic>[0]['onMessage']) =>
        scanTopic({ kafka, topic, fromBeginning: true, untilEnd: true, onMessage });
      expect(await scan((_, m) => void seen.push(String(m.value)))).toBe('end');
      expect(seen).toEqual(['a', 'b', 'c']);
      let calls = 0;
      await expect(
        scan((_, m) => {
          calls++;
          if (String(m.value) === 'b') throw new Error('cannot decode b');
        }),
      ).rejects.toThrow('cannot decode b');
      expect(calls).toBe(2);
    } finally {
      await deleteTopics(env, [topic]);
    }
  });
});
