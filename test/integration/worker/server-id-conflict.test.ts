import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncError } from '../../../src/errors.ts';
import { createTopic, rootConnection, startWorker, testJob } from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

const env = testEnv();

// Two binlog readers with one server id (a copied manifest, another CDC tool) make the source drop
// one whenever the other connects, forever. The job that is pushed out stops, naming the conflict
// and the fix, instead of retrying into the other reader.
describe('a second binlog reader with the same server id', () => {
  let db: mysql.Connection;
  const database = uniqueName('sid').replace('-', '_');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}; CREATE TABLE ${database}.t (id INT PRIMARY KEY)`);
  });

  afterAll(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  it('stops the job it pushed out with ServerIdConflict, and the other goes on', async () => {
    const serverId = 700_000 + Math.floor(Math.random() * 100_000);
    const job = (name: string, topic: string) =>
      testJob(env, uniqueName(name), {
        topic,
        objects: [{ database, tables: [{ name: 't' }] }],
        source: { serverId },
      });
    const [first, second] = [uniqueName('sid-a'), uniqueName('sid-b')];
    await createTopic(env, first, 1);
    await createTopic(env, second, 1);
    const a = await startWorker(env, job('a', first));
    const outcome = a.done.then(
      () => null,
      (err: unknown) => err,
    );
    const b = await startWorker(env, job('b', second));
    try {
      const err = await outcome;
      expect(err).toBeInstanceOf(SyncError);
      expect(err).toMatchObject({
        retriable: false,
        reason: 'ServerIdConflict',
        message: expect.stringContaining(`server id ${serverId}`),
        fix: expect.stringContaining('spec.source.serverId'),
      });
      expect(b.report.snapshot().streaming).toBe(true);
    } finally {
      await a.stop().catch(() => undefined);
      await b.stop();
    }
  });
});
