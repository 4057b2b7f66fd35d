// What happens to a running job's worker: a changed spec replaces it (config hash), a terminal
// condition (a dropped table) stops the job as Failed without a restart loop until the spec changes,
// and the operator serves its metrics and stops gracefully, releasing the Lease.
import { CoordinationV1Api } from '@kubernetes/client-node';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/cli-process.ts';
import {
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
const JOB = 'changes';
const POD = `${JOB}-worker`;
const EXTRA_ROWS = 3000;

describe('a running job under the operator', () => {
  let bed: Testbed;
  let db: mysql.Connection;
  let operator: ReturnType<Testbed['startOperator']>;
  const database = uniqueName('op_chg').replaceAll('-', '_');
  const topic = uniqueName('op-chg');

  const spec = (tables: string[]) => ({
    source: sourceSpec(env),
    target: { brokers: env.kafka.brokers, topic, version: '4.x' },
    objects: [{ database, tables: tables.map((name) => ({ name })) }],
    initialization: { data: true, chunkSize: 100 },
    offsets: { topic: `${topic}-offsets`, onDelete: 'delete' },
  });
  const apply = (tables: string[]) => bed.kubectl(['apply', '-f', '-'], syncJobYaml(JOB, spec(tables)));
  const pod = () => bed.core.readNamespacedPod({ namespace: bed.namespace, name: POD }).catch(() => null);

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(`CREATE TABLE ${database}.items (id INT PRIMARY KEY, name VARCHAR(20))`);
    await db.query(`CREATE TABLE ${database}.extra (id INT PRIMARY KEY, name VARCHAR(20))`);
    // Rows the table holds before the spec selects it: the edit must bring them too.
    await db.query(
      `INSERT INTO ${database}.extra SELECT seq, 'existing' FROM ${database}.seq_1_to_${EXTRA_ROWS}`,
    );
    await createTopic(env, topic, 1);
    bed = await startTestbed(env);
    operator = bed.startOperator('operator');
    await apply(['items']);
    await waitForReady(bed, JOB);
  }, 180_000);

  afterAll(async () => {
    await bed?.stop();
    await db?.query(`DROP DATABASE IF EXISTS ${database}`);
    await db?.end();
    await deleteTopics(env, [topic, `${topic}-offsets`]);
  });

  it('replaces the worker when the spec changes, and syncs what the new spec selects, existing rows first', async () => {
    const before = await pod();
    const hash = before?.metadata?.annotations?.['syncjob.io/config-hash'];
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    await apply(['items', 'extra']);
    await eventually(async () => {
      const now = await pod();
      return now !== null && now.metadata?.uid !== before?.metadata?.uid;
    }, 'a new worker pod');
    expect((await pod())?.metadata?.annotations?.['syncjob.io/config-hash']).not.toBe(hash);
    const job = await waitForReady(bed, JOB);
    expect(job.status?.observedGeneration).toBe(job.metadata.generation);
    expect(job.status?.worker?.attempts).toBe(0);
    // Ready only once the added table is copied; only it was copied this time.
    expect(job.status?.snapshot).toMatchObject({ tablesTotal: 1, tablesDone: 1, done: true });
    const extra = (await readAll(env.kafka.brokers, topic)).filter(
      (m) => m.record.objectName === `${database}.extra`,
    );
    expect(extra.filter((m) => m.record.operation === 'INIT')).toHaveLength(EXTRA_ROWS);
    await db.query(`INSERT INTO ${database}.extra VALUES (0, 'new row')`);
    await eventually(
      async () =>
        (await readAll(env.kafka.brokers, topic)).some(
          (m) => m.record.objectName === `${database}.extra` && m.record.operation === 'INSERT',
        ),
      'a new row of the newly selected table',
    );
  });

  it('stops as Failed on a dropped table, without restarting, until the spec changes', async () => {
    await db.query(`DROP TABLE ${database}.extra`);
    const failed = await waitForPhase(bed, JOB, 'Failed');
    const stalled = failed.status?.conditions?.find((c) => c.type === 'Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'TableDropped' });
    expect(stalled?.message).toBe(
      `selected table ${database}.extra was dropped on the source (fix: remove ${database}.extra from spec.objects, or recreate it and re-initialize the job)`,
    );
    await eventually(
      async () => (await bed.kubectl(['get', 'events', '-o', 'json'])).includes('"reason": "TableDropped"'),
      'a TableDropped event',
    );
    // Retrying cannot help: the stopped pod stays for `kubectl logs` and is not replaced.
    const stopped = await pod();
    await new Promise((r) => setTimeout(r, 12_000));
    expect((await pod())?.metadata?.uid).toBe(stopped?.metadata?.uid);
    expect((await bed.getJob(JOB))?.status?.phase).toBe('Failed');

    await apply(['items']);
    const job = await waitForReady(bed, JOB);
    expect(job.status?.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('False');
  });

  it('serves its metrics and health, and stops on SIGTERM releasing the Lease', async () => {
    const base = `http://127.0.0.1:${operator.metricsPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/syncjob_operator_reconcile_total\{result="(success|requeue)"\} [1-9]/);
    expect(metrics).toMatch(/syncjob_operator_reconcile_duration_seconds_count [1-9]/);
    expect(metrics).toMatch(/syncjob_operator_queue_depth \d/);
    expect(metrics).toMatch(/syncjob_operator_leader 1/);

    expect(await operator.stop()).toBe(0);
    const lease = await bed.kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: bed.namespace, name: 'syncjob-operator' });
    expect(lease.spec?.holderIdentity ?? '').toBe('');
    // The worker outlives the operator: syncing does not depend on the control plane.
    expect((await pod())?.status?.phase).toBe('Running');
    operator = bed.startOperator('operator-2');
    await waitForReady(bed, JOB);
  });
});
