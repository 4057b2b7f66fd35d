// One case per precheck failure a user meets: the job stops at PrecheckFailed with the item's message
// and fix in status and in an Event, no worker pod exists, and fixing the cause (in the database,
// a Secret, Kafka or the spec) moves the same job on without deleting it.

import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from '../../../src/kafka/kafkajs.ts';
import { eventually } from '../../support/cli-process.ts';
import {
  recordPhases,
  startTestbed,
  syncJobYaml,
  type Testbed,
  waitForPhase,
} from '../../support/operator-testbed.ts';
import { createTopic, deleteTopics, rootConnection, sourceSpec } from '../../support/sync-job.ts';
import { inTestenvShell, testEnv, uniqueName } from '../../support/testenv.ts';

const env = testEnv();

interface Case {
  title: string;
  item: string;
  /** Matched against the item's message. */
  message: RegExp;
  /** Matched against the item's fix. */
  fix: RegExp;
  /** Breaks what the item checks; returns overrides of the job spec. */
  breakIt(ctx: Ctx): Promise<Record<string, unknown>>;
  fixIt(ctx: Ctx): Promise<void>;
}

interface Ctx {
  job: string;
  topic: string;
  /** The fix the failed item gave, once the test saw it. */
  fix?: string;
  db: mysql.Connection;
  bed: Testbed;
}

const NO_GRANT_USER = `nogrant_${Date.now() % 100000}`;
const NO_GRANT_PASSWORD = 'nogrant-pw';

describe('precheck failures under the operator', () => {
  let bed: Testbed;
  let db: mysql.Connection;
  const database = uniqueName('op_pre').replaceAll('-', '_');
  const topics: string[] = [];

  const spec = (topic: string, overrides: Record<string, unknown>) => {
    const { source, ...rest } = overrides;
    return {
      source: { ...sourceSpec(env), ...(source as object | undefined) },
      target: { brokers: env.kafka.brokers, topic, version: '4.x' },
      objects: [{ database, tables: [{ name: 'items' }] }],
      initialization: { data: false },
      offsets: { topic: `${topic}-offsets` },
      ...rest,
    };
  };
  const jobEvents = async (job: string) =>
    (
      JSON.parse(
        await bed.kubectl(['get', 'events', '--field-selector', `involvedObject.name=${job}`, '-o', 'json']),
      ) as {
        items: { reason: string; type: string; message: string }[];
      }
    ).items;
  const setGlobal = (name: string, value: string) => db.query(`SET GLOBAL ${name} = '${value}'`);
  /** A server variable set globally to a value the job cannot work with, then set right again. */
  const serverVariable = (item: string, variable: string, wrong: string, right: string): Case => ({
    title: `${variable} ${wrong} instead of ${right}`,
    item,
    message: new RegExp(wrong),
    fix: new RegExp(`${variable}=${right}`),
    async breakIt() {
      await setGlobal(variable, wrong);
      return {};
    },
    fixIt: () => setGlobal(variable, right).then(() => undefined),
  });

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(`CREATE TABLE ${database}.items (id INT PRIMARY KEY, name VARCHAR(20))`);
    await db.query(`CREATE TABLE ${database}.loose (a INT, b VARCHAR(20))`);
    await db.query(`CREATE USER ${NO_GRANT_USER}@'%' IDENTIFIED BY '${NO_GRANT_PASSWORD}'`);
    await db.query(`GRANT SELECT, BINLOG MONITOR ON *.* TO ${NO_GRANT_USER}@'%'`);
    bed = await startTestbed(env);
    bed.startOperator('operator');
  }, 180_000);

  afterAll(async () => {
    await setGlobal('binlog_format', 'ROW').catch(() => undefined);
    await setGlobal('binlog_row_image', 'FULL').catch(() => undefined);
    await bed?.stop();
    await db?.query(`DROP USER IF EXISTS ${NO_GRANT_USER}@'%'`);
    await db?.query(`DROP DATABASE IF EXISTS ${database}`);
    await db?.end();
    await deleteTopics(
      env,
      topics.flatMap((t) => [t, `${t}-offsets`]),
    );
  });

  const cases: Case[] = [
    serverVariable('source.binlogFormat', 'binlog_format', 'STATEMENT', 'ROW'),
    serverVariable('source.binlogRowImage', 'binlog_row_image', 'MINIMAL', 'FULL'),
    {
      title: 'a missing grant',
      item: 'source.privileges',
      message: /REPLICATION SLAVE/,
      fix: /GRANT/,
      async breakIt({ bed }) {
        await bed.kubectl([
          'create',
          'secret',
          'generic',
          'nogrant',
          `--from-literal=password=${NO_GRANT_PASSWORD}`,
        ]);
        return {
          source: { username: NO_GRANT_USER, passwordSecretRef: { name: 'nogrant', key: 'password' } },
        };
      },
      fixIt: ({ db }) =>
        db.query(`GRANT REPLICATION SLAVE ON *.* TO ${NO_GRANT_USER}@'%'`).then(() => undefined),
    },
    {
      title: 'a wrong password',
      item: 'source.authentication',
      message: /denied|password/i,
      fix: /password/i,
      async breakIt({ bed }) {
        await bed.kubectl([
          'create',
          'secret',
          'generic',
          'wrongpw',
          '--from-literal=password=not-the-password',
        ]);
        return { source: { passwordSecretRef: { name: 'wrongpw', key: 'password' } } };
      },
      // Correcting the Secret is seen through the watch: no timer, no edit of the job.
      async fixIt({ bed }) {
        const fixed = await bed.kubectl([
          'create',
          'secret',
          'generic',
          'wrongpw',
          `--from-literal=password=${env.mysql.syncPassword}`,
          '--dry-run=client',
          '-o',
          'yaml',
        ]);
        await bed.kubectl(['apply', '-f', '-'], fixed);
      },
    },
    {
      title: 'a missing topic',
      item: 'target.topic',
      message: /does not exist/,
      fix: /^create it \(the job never creates topics\): kafka-topics --bootstrap-server \S+ --create --topic pre-topic-/,
      breakIt: async () => ({}),
      // The command the fix gives, run as written in the shell README sets up.
      fixIt: async ({ topic, fix }) => {
        const command = /kafka-topics [^;]+/.exec(fix ?? '')?.[0];
        if (command) await inTestenvShell(command);
        else await createTopic(env, topic, 1);
      },
    },
    {
      title: 'records already in the topic under conflictMode: precheckError',
      item: 'target.existingData',
      message: /already holds records/,
      fix: /conflictMode: ignore/,
      async breakIt({ topic }) {
        const producer = new Kafka({ brokers: env.kafka.brokers, logLevel: logLevel.NOTHING }).producer();
        await producer.connect();
        await producer.send({ topic, messages: [{ value: 'someone else' }] });
        await producer.disconnect();
        return { conflictMode: 'precheckError' };
      },
      async fixIt({ bed, job }) {
        await bed.kubectl(['patch', 'sj', job, '--type=merge', '-p', '{"spec":{"conflictMode":"ignore"}}']);
      },
    },
  ];

  for (const c of cases) {
    it(`stops at PrecheckFailed on ${c.title}, then moves on once fixed`, { timeout: 150_000 }, async () => {
      const job = uniqueName('pre');
      const topic = uniqueName('pre-topic');
      topics.push(topic);
      const ctx: Ctx = { job, topic, db, bed };
      // The missing-topic case creates it as its fix.
      if (c.item !== 'target.topic') await createTopic(env, topic, 1);
      const overrides = await c.breakIt(ctx);
      try {
        await bed.kubectl(['apply', '-f', '-'], syncJobYaml(job, spec(topic, overrides)));
        const failed = await waitForPhase(bed, job, 'PrecheckFailed');
        const item = failed.status?.precheck?.items.find((i) => i.name === c.item);
        expect(item, JSON.stringify(failed.status?.precheck)).toMatchObject({ result: 'Failed' });
        expect(item?.message).toMatch(c.message);
        expect(item?.fix).toMatch(c.fix);
        ctx.fix = item?.fix;
        const ready = failed.status?.conditions?.find((cond) => cond.type === 'Ready');
        expect(ready).toMatchObject({ status: 'False', reason: 'PrecheckFailed' });
        expect(ready?.message).toContain(c.item);
        await eventually(async () => {
          return (await jobEvents(job)).some(
            (e) =>
              e.type === 'Warning' &&
              e.reason === 'PrecheckFailed' &&
              e.message.startsWith(`${c.item}: ${item?.message}`),
          );
        }, `a PrecheckFailed event for ${c.item}`);
        expect(
          await bed.core
            .readNamespacedPod({ namespace: bed.namespace, name: `${job}-worker` })
            .catch(() => null),
        ).toBeNull();
      } finally {
        await c.fixIt(ctx);
      }
      const synced = await waitForPhase(bed, job, 'Syncing', 90_000);
      expect(synced.status?.precheck?.items.find((i) => i.name === c.item)?.result).toBe('Passed');
      await bed.kubectl(['delete', 'sj', job, '--wait=true', '--timeout=60s']);
    });
  }

  it('retries a failed precheck quietly: no flapping phase, no repeated Events', async () => {
    const job = uniqueName('pre');
    const topic = uniqueName('pre-never');
    const phases = await recordPhases(bed, job);
    await bed.kubectl(['apply', '-f', '-'], syncJobYaml(job, spec(topic, {})));
    const first = await waitForPhase(bed, job, 'PrecheckFailed');
    const checkedAt = first.status?.precheck?.checkedAt;
    // The operator of this file retries every 3 s; wait for two retries to have run.
    await eventually(async () => {
      const at = (await bed.getJob(job))?.status?.precheck?.checkedAt;
      return at !== undefined && checkedAt !== undefined && Date.parse(at) - Date.parse(checkedAt) >= 5_000;
    }, 'the precheck to be retried');
    expect(await phases.stop()).toEqual(['Prechecking', 'PrecheckFailed']);
    const failures = (await jobEvents(job)).filter((e) => e.reason === 'PrecheckFailed');
    expect(failures).toHaveLength(1);
    await bed.kubectl(['delete', 'sj', job, '--wait=true', '--timeout=60s']);
  });

  it('warns about a table without a key and syncs it anyway', { timeout: 120_000 }, async () => {
    const job = uniqueName('pre');
    const topic = uniqueName('pre-topic');
    topics.push(topic);
    await createTopic(env, topic, 1);
    await bed.kubectl(
      ['apply', '-f', '-'],
      syncJobYaml(job, {
        ...spec(topic, {}),
        objects: [{ database, tables: [{ name: 'items' }, { name: 'loose' }] }],
      }),
    );
    const synced = await waitForPhase(bed, job, 'Syncing', 90_000);
    const item = synced.status?.precheck?.items.find((i) => i.name === 'source.primaryKey');
    expect(item).toMatchObject({ result: 'Warning' });
    expect(item?.message).toMatch(/loose/);
    expect(item?.fix).toBeTruthy();
    expect(synced.status?.conditions?.find((c) => c.type === 'PrecheckSucceeded')?.message).toMatch(
      /1 warning/,
    );
    expect((await jobEvents(job)).map((e) => e.reason)).toContain('PrecheckWarning');
    await bed.kubectl(['delete', 'sj', job, '--wait=true', '--timeout=60s']);
  });
});
