// How a job that cannot go on says so under the operator: a terminal reason arrives from the
// worker's termination message as one readable line with the fix (condition and Event, never a
// stack trace or a log line), the retry annotation restarts it once the cause is fixed outside the
// spec, a silent source connection turns Ready False naming the source within 30 s, and conflicts
// and impossible limits are refused before a worker starts.
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from '../../../src/kafka/kafkajs.ts';
import { eventually } from '../../support/cli-process.ts';
import {
  type SyncJobView,
  startTestbed,
  syncJobYaml,
  type Testbed,
  waitForPhase,
  waitForReady,
} from '../../support/operator-testbed.ts';
import { deleteTopics, rootConnection, sourceSpec } from '../../support/sync-job.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { readAll } from '../../support/topic-reader.ts';

const env = testEnv();
// Kafka's ACL enums (the protocol's numbers; kafkajs's named exports do not survive its ESM wrapper).
const Resource = { TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5 } as const;
const Operation = {
  ALL: 2,
  READ: 3,
  WRITE: 4,
  DESCRIBE: 8,
  DESCRIBE_CONFIGS: 10,
  IDEMPOTENT_WRITE: 12,
} as const;
const ALLOW = 3;
const Pattern = { LITERAL: 3, PREFIXED: 4 } as const;

describe('failures under the operator', () => {
  let bed: Testbed;
  let db: mysql.Connection;
  let proxy: TcpProxy;
  const database = uniqueName('op_fail').replaceAll('-', '_');
  const topics: string[] = [];
  const admin = new Kafka({
    clientId: 'test-admin',
    brokers: env.kafka.brokers,
    logLevel: logLevel.NOTHING,
  }).admin();

  const spec = (topic: string, extra: Record<string, unknown> = {}) => ({
    source: sourceSpec(env),
    target: { brokers: env.kafka.brokers, topic, version: '4.x' },
    objects: [{ database, tables: [{ name: 'docs' }] }],
    offsets: { topic: `${topic}-offsets`, onDelete: 'delete' },
    ...extra,
  });
  const apply = (name: string, s: Record<string, unknown>) =>
    bed.kubectl(['apply', '-f', '-'], syncJobYaml(name, s));
  const newTopic = async (maxMessageBytes?: number) => {
    const topic = uniqueName('op-fail');
    topics.push(topic, `${topic}-offsets`);
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          ...(maxMessageBytes
            ? { configEntries: [{ name: 'max.message.bytes', value: String(maxMessageBytes) }] }
            : {}),
        },
      ],
      waitForLeaders: true,
    });
    return topic;
  };
  const condition = (job: SyncJobView | null, type: string) =>
    job?.status?.conditions?.find((c) => c.type === type);
  const events = async (job: string) =>
    (
      JSON.parse(
        await bed.kubectl(['get', 'events', '--field-selector', `involvedObject.name=${job}`, '-o', 'json']),
      ) as { items: { reason: string; type: string; message: string }[] }
    ).items;
  /** One readable line: the message and its fix, nothing of a stack trace or a JSON log line. */
  const expectReadable = (message: string | undefined, fix: RegExp) => {
    expect(message).toBeDefined();
    expect(message).not.toMatch(/\n|^\{|\bat .+:\d+:\d+|\.js:\d+/);
    expect(message).toMatch(fix);
  };

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(`CREATE TABLE ${database}.docs (id INT PRIMARY KEY, body TEXT)`);
    await admin.connect();
    proxy = await startTcpProxy({ host: env.mysql.host, port: env.mysql.port });
    bed = await startTestbed(env);
    bed.startOperator('operator');
  }, 180_000);

  afterAll(async () => {
    proxy?.stall(false);
    await bed?.stop();
    await proxy?.close();
    await deleteTopics(env, topics);
    await admin.disconnect();
    await db?.query(`DROP DATABASE IF EXISTS ${database}`);
    await db?.end();
  });

  it('fails on a record too large for the topic with one line and the fix, and retries once fixed', {
    timeout: 180_000,
  }, async () => {
    const topic = await newTopic(2_000);
    await apply('too-large', spec(topic));
    await waitForReady(bed, 'too-large');
    await db.query(`INSERT INTO ${database}.docs VALUES (1, REPEAT('x', 5000))`);
    const failed = await waitForPhase(bed, 'too-large', 'Failed', 90_000);
    const stalled = condition(failed, 'Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'RecordTooLarge' });
    expectReadable(stalled?.message, /\(fix: .*max\.message\.bytes/);
    expect(stalled?.message).toContain(topic);
    await eventually(
      async () =>
        (await events('too-large')).some(
          (e) => e.reason === 'RecordTooLarge' && e.message === stalled?.message,
        ),
      'a RecordTooLarge Event with the same line',
    );

    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: topic, configEntries: [{ name: 'max.message.bytes', value: '1048576' }] }],
    });
    await bed.kubectl(['annotate', 'syncjob', 'too-large', 'syncjob.io/retry=1', '--overwrite']);
    await waitForReady(bed, 'too-large', 120_000);
    await eventually(
      async () => (await readAll(env.kafka.brokers, topic)).some((m) => m.record.operation === 'INSERT'),
      'the large row in the topic',
    );
  });

  it('fails on a topic its SASL user may not write to, with the fix', { timeout: 120_000 }, async () => {
    const topic = await newTopic();
    const offsets = `${topic}-offsets`;
    await admin.createTopics({ topics: [{ topic: offsets, numPartitions: 1 }], waitForLeaders: true });
    const { user, password } = env.kafka.sasl.limited;
    const allow = (
      resourceType: number,
      resourceName: string,
      operations: number[],
      pattern: number = Pattern.LITERAL,
    ) =>
      operations.map((operation) => ({
        resourceType,
        resourceName,
        resourcePatternType: pattern,
        principal: `User:${user}`,
        host: '*',
        operation,
        permissionType: ALLOW,
      }));
    // Everything the job needs but WRITE on its data topic (which it may describe, so the precheck passes).
    await admin.createAcls({
      acl: [
        ...allow(Resource.TOPIC, topic, [Operation.DESCRIBE, Operation.DESCRIBE_CONFIGS]),
        ...allow(Resource.TOPIC, offsets, [Operation.ALL]),
        ...allow(Resource.GROUP, 'syncjob-', [Operation.READ], Pattern.PREFIXED),
        ...allow(
          Resource.TRANSACTIONAL_ID,
          'syncjob-',
          [Operation.WRITE, Operation.DESCRIBE],
          Pattern.PREFIXED,
        ),
        ...allow(Resource.CLUSTER, 'kafka-cluster', [Operation.IDEMPOTENT_WRITE]),
      ],
    });
    await bed.kubectl([
      'create',
      'secret',
      'generic',
      'kafka-limited',
      `--from-literal=username=${user}`,
      `--from-literal=password=${password}`,
    ]);
    await apply(
      'not-authorized',
      spec(topic, {
        target: {
          brokers: env.kafka.sasl.brokers,
          topic,
          version: '4.x',
          sasl: { mechanism: 'scram-sha-512', secretRef: { name: 'kafka-limited' } },
        },
      }),
    );
    await db.query(`INSERT INTO ${database}.docs VALUES (3, 'not authorized')`);
    const failed = await waitForPhase(bed, 'not-authorized', 'Failed', 90_000);
    const stalled = condition(failed, 'Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'TopicNotAuthorized' });
    expectReadable(stalled?.message, /\(fix: .*WRITE/);
  });

  it('fails on a binlog position the source no longer has, with the fix', { timeout: 120_000 }, async () => {
    const topic = await newTopic();
    const [[status]] = await db.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
    const gone = String(status!.File).replace(/\.\d+$/, '.000000');
    await apply(
      'purged',
      spec(topic, {
        source: { ...sourceSpec(env), startPosition: { mode: 'file', file: gone, position: 4 } },
      }),
    );
    const failed = await waitForPhase(bed, 'purged', 'Failed', 90_000);
    const stalled = condition(failed, 'Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'BinlogPurged' });
    expectReadable(stalled?.message, /\(fix: keep binlogs longer/);
  });

  it('turns Ready False naming the source within 30 s of a silent source connection, and recovers', {
    timeout: 180_000,
  }, async () => {
    const topic = await newTopic();
    await apply(
      'silent',
      spec(topic, { source: { ...sourceSpec(env), host: '127.0.0.1', port: proxy.port } }),
    );
    await waitForReady(bed, 'silent');
    proxy.stall(true);
    const stalledAt = Date.now();
    let seen: SyncJobView | null = null;
    await eventually(
      async () => {
        seen = await bed.getJob('silent');
        const ready = condition(seen, 'Ready');
        return ready?.status === 'False' && /^Source/.test(ready.reason);
      },
      'Ready False with a source reason',
      30_000,
    );
    expect(Date.now() - stalledAt).toBeLessThan(31_000);
    expect(condition(seen, 'Ready')?.message).toMatch(/^Source: /);
    proxy.stall(false);
    await db.query(`INSERT INTO ${database}.docs VALUES (2, 'after the stall')`);
    await waitForReady(bed, 'silent', 90_000);
    await eventually(
      async () => (await readAll(env.kafka.brokers, topic)).some((m) => m.record.operation === 'INSERT'),
      'the row written after the stall',
    );
  });

  it('refuses a second job with the server id of the first, naming it', { timeout: 120_000 }, async () => {
    const first = await newTopic();
    const second = await newTopic();
    await apply('first-id', spec(first, { source: { ...sourceSpec(env), serverId: 424242 } }));
    await waitForReady(bed, 'first-id');
    await apply('second-id', spec(second, { source: { ...sourceSpec(env), serverId: 424242 } }));
    const refused = await waitForPhase(bed, 'second-id', 'PrecheckFailed', 90_000);
    const item = refused.status?.precheck?.items.find((i) => i.name === 'source.serverIdUnique');
    expect(item).toMatchObject({ result: 'Failed' });
    expect(item?.message).toContain(`SyncJob ${bed.namespace}/first-id already reads`);
    // The first job keeps syncing.
    expect(condition(await bed.getJob('first-id'), 'Ready')?.status).toBe('True');
  });

  it('refuses a memory limit below what a worker needs at apply', async () => {
    const topic = uniqueName('op-fail');
    const applied = apply('tiny', spec(topic, { worker: { resources: { limits: { memory: '16Mi' } } } }));
    await expect(applied).rejects.toThrow(
      /spec\.worker\.resources\.limits: .*limits\.memory must be at least 512Mi/,
    );
  });
});
