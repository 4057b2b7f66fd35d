// The operator as a user meets it: kubectl apply, phases in `kubectl get sj`, a row decoded from
// Kafka; then a killed worker, a killed leader, pause/resume and deletion, with nothing lost and no
// secret anywhere it should not be.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaClient } from '../../../src/kafka/client.ts';
import { createRootLogger } from '../../../src/log.ts';
import { hasStoredOffset } from '../../../src/offsets/kafka-offset-store.ts';
import { type CliProcess, eventually, startCli } from '../../support/cli-process.ts';
import { materialize, sortedRows } from '../../support/materialize.ts';
import {
  recordPhases,
  startTestbed,
  syncJobYaml,
  type Testbed,
  waitForPhase,
  waitForReady,
} from '../../support/operator-testbed.ts';
import { createTopic, deleteTopics, rootConnection, sourceSpec } from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { readAll } from '../../support/topic-reader.ts';

const env = testEnv();
const JOB = 'orders-sync';

describe('the operator', () => {
  let bed: Testbed;
  let db: mysql.Connection;
  let leader: CliProcess;
  let standby: CliProcess | undefined;
  const database = uniqueName('op_shop').replaceAll('-', '_');
  const topic = uniqueName('op-orders');
  const offsetsTopic = uniqueName('op-offsets');
  let nextId = 1;

  const manifest = (overrides: Record<string, unknown> = {}) =>
    syncJobYaml(JOB, {
      source: sourceSpec(env),
      target: { brokers: env.kafka.brokers, topic, version: '4.x', partitioning: 'primaryKey' },
      objects: [{ database, tables: [{ name: 'orders' }] }],
      initialization: { schema: true, data: true },
      offsets: { topic: offsetsTopic, onDelete: 'keep' },
      ...overrides,
    });
  const insert = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await db.query(`INSERT INTO ${database}.orders VALUES (?, ?)`, [nextId, `order ${nextId}`]);
      nextId += 1;
    }
  };
  const topicMatchesSource = async () => {
    const [rows] = await db.query(`SELECT id, note FROM ${database}.orders ORDER BY id`);
    const expected = (rows as { id: number; note: string }[]).map((r) => ({
      id: String(r.id),
      note: r.note,
    }));
    let actual: unknown[] = [];
    await eventually(
      async () => {
        const table = materialize(await readAll(env.kafka.brokers, topic), {
          [`${database}.orders`]: ['id'],
        }).get(`${database}.orders`);
        actual = sortedRows(table).sort((a, b) => Number(a.id) - Number(b.id));
        return JSON.stringify(actual) === JSON.stringify(expected);
      },
      'the materialized topic to equal the source',
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${actual.length} rows on the topic, ${expected.length} in the source`);
    });
  };
  const podExists = async () =>
    (await bed.core
      .readNamespacedPod({ namespace: bed.namespace, name: `${JOB}-worker` })
      .catch(() => null)) !== null;

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(`CREATE TABLE ${database}.orders (id INT PRIMARY KEY, note VARCHAR(64))`);
    await createTopic(env, topic, 3);
    await insert(5);
    bed = await startTestbed(env);
    leader = bed.startOperator('operator-a');
  }, 180_000);

  afterAll(async () => {
    await bed?.stop();
    await db?.query(`DROP DATABASE IF EXISTS ${database}`);
    await db?.end();
    await deleteTopics(env, [topic, offsetsTopic]);
  });

  it('rejects an invalid manifest at the API server, naming the field', async () => {
    const bad = manifest({
      target: { brokers: env.kafka.brokers, topic, version: '4.x', partitioning: 'byColumn' },
    });
    const err = await bed.kubectl(['apply', '-f', '-'], bad).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/spec\.target\.partitioning/);
    expect((err as Error).message).toMatch(/byColumn/);
  });

  it('goes Prechecking → Initializing → Syncing after kubectl apply, and a new row is decoded from Kafka', async () => {
    const phases = await recordPhases(bed, JOB);
    await bed.kubectl(['apply', '-f', '-'], manifest());
    await waitForReady(bed, JOB);
    expect(await phases.stop()).toEqual(['Prechecking', 'Initializing', 'Syncing']);
    const job = await bed.getJob(JOB);
    expect(job?.status?.observedGeneration).toBe(job?.metadata.generation);
    expect(job?.metadata.finalizers).toContain('syncjob.io/finalizer');
    expect(job?.status?.precheck?.items.every((i) => i.result === 'Passed')).toBe(true);
    expect(job?.status?.snapshot).toMatchObject({ tablesTotal: 1, tablesDone: 1, done: true });

    await insert(1);
    const brokers = env.kafka.brokers.join(',');
    const decode = startCli([
      'decode',
      '--brokers',
      brokers,
      '--topic',
      topic,
      '--from-beginning',
      '--idle-seconds',
      '4',
    ]);
    expect(await decode.exited).toBe(0);
    const lines = decode
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as {
            operation: string;
            objectName: string;
            fields: { name: string; after: string | null }[];
          },
      );
    const inserted = lines.find((l) => l.operation === 'INSERT');
    expect(inserted?.objectName).toBe(`${database}.orders`);
    expect(inserted?.fields.find((f) => f.name === 'note')?.after).toBe('order 6');
    expect(lines.filter((l) => l.operation === 'INIT')).toHaveLength(5);

    // The printer columns, with values, once the worker reported its lag.
    await eventually(
      async () => (await bed.getJob(JOB))?.status?.lagSeconds !== undefined,
      'a lag in status',
    );
    const table = await bed.kubectl(['get', 'sj', JOB]);
    const [header, row] = table.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual(['NAME', 'PHASE', 'READY', 'SOURCE', 'TOPIC', 'LAG', 'AGE']);
    expect(row?.split(/\s+/).slice(0, 6)).toEqual([
      JOB,
      'Syncing',
      'True',
      env.mysql.host,
      topic,
      expect.stringMatching(/^\d+$/),
    ]);
  });

  it('replaces a killed worker and returns to Syncing with nothing lost', async () => {
    await insert(3);
    const before = await bed.core.readNamespacedPod({ namespace: bed.namespace, name: `${JOB}-worker` });
    bed.runner.killPod(bed.namespace, `${JOB}-worker`, 'SIGKILL');
    await insert(3);
    await eventually(
      async () => {
        const pod = await bed.core
          .readNamespacedPod({ namespace: bed.namespace, name: `${JOB}-worker` })
          .catch(() => null);
        return pod !== null && pod.metadata?.uid !== before.metadata?.uid && pod.status?.phase === 'Running';
      },
      'a new worker pod',
      60_000,
    );
    const job = await waitForReady(bed, JOB);
    expect(job.status?.worker?.attempts).toBe(1);
    await insert(2);
    await topicMatchesSource();
  });

  it('pauses (no worker) and resumes from the stored offsets', async () => {
    await bed.kubectl(['patch', 'sj', JOB, '--type=merge', '-p', '{"spec":{"state":"paused"}}']);
    await waitForPhase(bed, JOB, 'Paused');
    await eventually(async () => !(await podExists()), 'the worker to stop');
    await insert(4);
    await bed.kubectl(['patch', 'sj', JOB, '--type=merge', '-p', '{"spec":{"state":"running"}}']);
    await waitForReady(bed, JOB);
    await topicMatchesSource();
  });

  it('hands over to the standby replica when the leader is killed', async () => {
    standby = bed.startOperator('operator-b');
    const leases = bed.kc.makeApiClient(CoordinationV1Api);
    const holder = async () =>
      (
        await leases
          .readNamespacedLease({ namespace: bed.namespace, name: 'syncjob-operator' })
          .catch(() => null)
      )?.spec?.holderIdentity;
    expect(await holder()).toBe('operator-a');
    leader.child.kill('SIGKILL');
    await leader.exited;
    await eventually(async () => (await holder()) === 'operator-b', 'operator-b to take the Lease', 30_000);
    // The new leader carries on: a change of spec is acted on.
    await bed.kubectl(['patch', 'sj', JOB, '--type=merge', '-p', '{"spec":{"state":"paused"}}']);
    await waitForPhase(bed, JOB, 'Paused');
    await bed.kubectl(['patch', 'sj', JOB, '--type=merge', '-p', '{"spec":{"state":"running"}}']);
    await waitForReady(bed, JOB);
    await insert(2);
    await topicMatchesSource();
  });

  it('never shows a secret value in status, events, the pod spec or logs', async () => {
    const password = env.mysql.syncPassword;
    const places = {
      status: JSON.stringify(await bed.getJob(JOB)),
      events: await bed.kubectl(['get', 'events', '-o', 'json']),
      pod: await bed.kubectl(['get', 'pod', `${JOB}-worker`, '-o', 'json']),
      configMap: await bed.kubectl(['get', 'configmap', `${JOB}-worker`, '-o', 'json']),
      operatorLogs: leader.output() + (standby?.output() ?? ''),
      workerLogs: readFileSync(path.join(bed.logDir, `${bed.namespace}_${JOB}-worker_worker.log`), 'utf8'),
    };
    expect(places.events).toMatch(/PrecheckPassed/);
    expect(places.operatorLogs).toMatch(/Created the worker pod/);
    for (const [where, text] of Object.entries(places)) {
      expect(text.length, where).toBeGreaterThan(0);
      expect(text.includes(password), `the password appears in ${where}`).toBe(false);
    }
  });

  it('stops the worker on deletion and keeps or deletes the offsets as asked', async () => {
    const kafka = createKafkaClient({
      brokers: env.kafka.brokers,
      clientId: 'op-test',
      logger: createRootLogger({ level: 'silent' }),
    });
    const key = Buffer.from(`${bed.namespace}/${JOB}`);
    expect(await hasStoredOffset(kafka, offsetsTopic, key)).toBe(true);
    await bed.kubectl(['delete', 'sj', JOB, '--wait=true', '--timeout=60s']);
    expect(await podExists()).toBe(false);
    expect(await hasStoredOffset(kafka, offsetsTopic, key)).toBe(true);

    // A new job of the same name resumes from the kept offsets: no INIT records are written again.
    const before = (await readAll(env.kafka.brokers, topic)).length;
    await bed.kubectl(
      ['apply', '-f', '-'],
      manifest({ conflictMode: 'ignore', offsets: { topic: offsetsTopic, onDelete: 'delete' } }),
    );
    await waitForReady(bed, JOB);
    await insert(1);
    await eventually(
      async () => (await readAll(env.kafka.brokers, topic)).length === before + 1,
      'exactly the new row',
    );
    await topicMatchesSource();

    await bed.kubectl(['delete', 'sj', JOB, '--wait=true', '--timeout=60s']);
    expect(await podExists()).toBe(false);
    expect(await hasStoredOffset(kafka, offsetsTopic, key)).toBe(false);
  });

  it('stops on SIGTERM: exits 0, and logs no warning on the way (its watches end quietly)', async () => {
    const op = standby!;
    const from = op.output().length;
    op.child.kill('SIGTERM');
    expect(await op.exited).toBe(0);
    const lines = op
      .output()
      .slice(from)
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['Released the lease', 'Stopped the operator']),
    );
  });
});
