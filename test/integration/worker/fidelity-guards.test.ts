import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncError } from '../../../src/errors.ts';
import { foldJobTopic } from '../../support/job-topic.ts';
import { sortedRows } from '../../support/materialize.ts';
import {
  createTopic,
  deleteTopics,
  rootConnection,
  startWorker,
  testJob,
  untilCaughtUp,
} from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { sourceTables } from '../../support/writer.ts';

const env = testEnv();

// Each case changes one session's setting (not the server's, which other tests share) and makes
// one change of a synced table through that session.
const CASES = [
  {
    setting: "binlog_row_image = 'MINIMAL'",
    reason: 'BinlogRowImageNotFull',
    change: (t: string) => `UPDATE ${t} SET v = v + 100 WHERE id = 2`,
  },
  {
    setting: "binlog_format = 'STATEMENT'",
    reason: 'BinlogFormatNotRow',
    change: (t: string) => `INSERT INTO ${t} VALUES (50, 50, 'by statement')`,
  },
];

describe('fidelity guards: changes the binlog cannot carry exactly stop the job', () => {
  let db: mysql.Connection;
  const database = uniqueName('guard').replace('-', '_');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
  });

  afterAll(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  for (const c of CASES) {
    it(`${c.setting}: stops with ${c.reason}, writes nothing wrong, and a re-snapshot brings it back`, {
      timeout: 120_000,
    }, async () => {
      const name = c.reason.toLowerCase();
      const table = `${database}.${name}`;
      await db.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))`);
      await db.query(`INSERT INTO ${table} SELECT seq, seq, 'seed' FROM ${database}.seq_1_to_20`);
      const topic = uniqueName(name);
      await createTopic(env, topic, 1);
      const spec = {
        topic,
        objects: [{ database, tables: [{ name }] }],
        offsets: { topic: uniqueName(`${name}-offsets`) },
      };
      const job = testJob(env, `${name}-job`, { ...spec, initialization: { data: true } });
      let worker = await startWorker(env, job);
      const bad = await rootConnection(env);
      try {
        await untilCaughtUp(db, () => worker.report.snapshot());
        await db.query(`UPDATE ${table} SET note = 'full image' WHERE id = 1`);
        await bad.query(`SET SESSION ${c.setting}`);
        await bad.query(c.change(table));
        const stoppedAt = Date.now();
        const err = await worker.done.then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(SyncError);
        expect(err).toMatchObject({ reason: c.reason, retriable: false });
        expect((err as SyncError).fix).toContain('resnapshots');
        expect(Date.now() - stoppedAt).toBeLessThan(10_000);
        expect(worker.report.snapshot().conditions.map((x) => x.reason)).toContain(c.reason);

        // Everything before the change is in the topic, the change itself is not.
        const before = await foldJobTopic(env, topic, [table]);
        expect(before.byOp).toEqual({ INSERT: 0, UPDATE: 1, DELETE: 0 });
        expect(before.initRecords).toBe(20);

        // The documented fix: the setting restored (here: a session with the server's FULL/ROW),
        // then a re-snapshot request for the table.
        await db.query(`UPDATE ${table} SET note = 'after the fix' WHERE id = 3`);
        worker = await startWorker(
          env,
          testJob(env, `${name}-job`, {
            ...spec,
            initialization: {
              data: true,
              resnapshots: [{ name: 'fix', tables: [{ database, table: name }] }],
            },
          }),
        );
        await untilCaughtUp(db, () => worker.report.snapshot());
        expect(worker.report.snapshot().streaming).toBe(true);
        await worker.stop();
        const after = await foldJobTopic(env, topic, [table]);
        const [want] = (await sourceTables(db, database, [name])).values();
        expect(sortedRows(after.tables.get(table))).toEqual(want);
      } finally {
        await bad.end();
        await worker.stop();
        await deleteTopics(env, [topic]);
      }
    });
  }
});
