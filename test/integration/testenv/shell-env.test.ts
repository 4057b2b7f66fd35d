import { describe, expect, it } from 'vitest';
import { deleteTopics, produce } from '../../support/sync-job.ts';
import { inTestenvShell, testEnv, uniqueName } from '../../support/testenv.ts';

// `eval "$(scripts/testenv.sh env)"` as README and CONTRIBUTING tell a user: the variables are
// exported to the commands the shell runs, and the tools the docs and fix messages name are on PATH.
const env = testEnv();

describe('eval "$(scripts/testenv.sh env)"', () => {
  it('exports the coordinates to child processes', async () => {
    const out = await inTestenvShell(
      'bash -c \'printf "%s|%s|%s" "$KAFKA_BROKERS" "$MYSQL_PORT" "$KUBECONFIG"\'',
    );
    expect(out).toBe(`${env.kafka.brokers.join(',')}|${env.mysql.port}|${env.kube.kubeconfig}`);
  });

  it('points kubectl and helm at the test API server', async () => {
    expect(await inTestenvShell('kubectl get namespace default -o name')).toBe('namespace/default\n');
    expect(await inTestenvShell('helm version --short')).toMatch(/^v\d+\./);
  });

  it('puts kafka-topics, kafka-configs and kafka-console-consumer on PATH, working as documented', {
    timeout: 120_000,
  }, async () => {
    const topic = uniqueName('shell');
    try {
      await inTestenvShell(
        `kafka-topics --bootstrap-server "$KAFKA_BROKERS" --create --topic ${topic} --partitions 2`,
      );
      expect(await inTestenvShell(`kafka-topics --bootstrap-server "$KAFKA_BROKERS" --list`)).toContain(
        `${topic}\n`,
      );
      await inTestenvShell(
        `kafka-configs --bootstrap-server "$KAFKA_BROKERS" --alter --entity-type topics --entity-name ${topic} --add-config max.message.bytes=2097152`,
      );
      expect(
        await inTestenvShell(
          `kafka-configs --bootstrap-server "$KAFKA_BROKERS" --describe --entity-type topics --entity-name ${topic}`,
        ),
      ).toContain('max.message.bytes=2097152');
      await produce(env, topic, [{ value: 'hello from the test', partition: 0 }]);
      expect(
        await inTestenvShell(
          `kafka-console-consumer --bootstrap-server "$KAFKA_BROKERS" --topic ${topic} --from-beginning --max-messages 1 --timeout-ms 30000`,
        ),
      ).toBe('hello from the test\n');
    } finally {
      await deleteTopics(env, [topic]);
    }
  });
});
