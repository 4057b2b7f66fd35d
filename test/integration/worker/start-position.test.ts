import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinlogPurgedError, isRetriable, TableGoneError } from '../../../src/errors.ts';
import { valueText } from '../../../src/format/dts-avro/render.ts';
import type { DtsValue } from '../../../src/format/dts-avro/values.ts';
import { eventually } from '../../support/cli-process.ts';
import {
  createTopic,
  rootConnection,
  sourceBinlogEnd,
  startWorker,
  testJob,
} from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { readTopic } from '../../support/topic-reader.ts';

const env = testEnv();

describe('where streaming starts, and what the worker reports', () => {
  let db: mysql.Connection;
  const database = uniqueName('pos').replace('-', '_');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(`CREATE TABLE ${database}.t (id INT PRIMARY KEY)`);
    // Rows of a table dropped or renamed before the worker read its columns decode only from the
    // binlog's own metadata: FULL, as MariaDB's test server runs (MySQL's default MINIMAL is
    // tested in test/integration/mysql/).
    if (env.sourceType === 'mysql') await db.query('SET GLOBAL binlog_row_metadata = FULL');
  });

  afterAll(async () => {
    if (env.sourceType === 'mysql') await db.query('SET GLOBAL binlog_row_metadata = MINIMAL');
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  const ids = async (topic: string, count: number) =>
    (await readTopic(env.kafka.brokers, topic, count)).map((m) =>
      valueText((m.record.afterImages as readonly DtsValue[])[0]!),
    );

  it('starts after a binlog file and position, and after a GTID set', async () => {
    const base = (
      await db.query<mysql.RowDataPacket[]>(`SELECT COALESCE(MAX(id), 0) AS m FROM ${database}.t`)
    )[0][0]!.m as number;
    await db.query(`INSERT INTO ${database}.t VALUES (${base + 1})`);
    const end = await sourceBinlogEnd(db);
    // The GTIDs written so far: MariaDB's position, MySQL's executed set.
    const [[gtid]] = await db.query<mysql.RowDataPacket[]>(
      env.sourceType === 'mysql' ? 'SELECT @@GLOBAL.gtid_executed AS pos' : 'SELECT @@gtid_binlog_pos AS pos',
    );
    await db.query(`INSERT INTO ${database}.t VALUES (${base + 2}), (${base + 3})`);
    await db.query(`INSERT INTO ${database}.t VALUES (${base + 4})`);
    const expected = [base + 2, base + 3, base + 4].map(String);

    for (const startPosition of [
      { mode: 'file', file: end.file, position: end.offset },
      { mode: 'gtid', gtidSet: gtid!.pos as string },
    ]) {
      const topic = uniqueName(`pos-${startPosition.mode}`);
      await createTopic(env, topic, 1);
      const worker = await startWorker(
        env,
        testJob(env, uniqueName('job'), {
          topic,
          objects: [{ database, tables: [{ name: 't' }] }],
          source: { startPosition },
        }),
      );
      try {
        expect(await ids(topic, 3)).toEqual(expected);
      } finally {
        await worker.stop();
      }
    }
  });

  it('stops with BinlogPurged, not a retry loop, when the start position is gone from the source', async () => {
    const topic = uniqueName('pos-purged');
    await createTopic(env, topic, 1);
    const job = testJob(env, uniqueName('job'), {
      topic,
      objects: [{ database, tables: [{ name: 't' }] }],
      source: { startPosition: { mode: 'file', file: 'binlog.999999', position: 4 } },
    });
    // The worker's run ends with the error (a retried failure would never end it).
    const failure = await startWorker(env, job).then(
      (w) =>
        w.done.then(
          () => null,
          (err: unknown) => err,
        ),
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(BinlogPurgedError);
    expect(isRetriable(failure)).toBe(false);
    expect((failure as BinlogPurgedError).fix).toMatch(/re-initialize/);
  });

  it('stops with TableDropped when a listed table is dropped, after writing what came before, and again on restart', async () => {
    const topic = uniqueName('pos-dropped');
    await createTopic(env, topic, 1);
    await db.query(`CREATE TABLE ${database}.doomed (id INT PRIMARY KEY)`);
    const job = testJob(env, uniqueName('job'), {
      topic,
      objects: [{ database, tables: [{ name: 'doomed' }] }],
    });
    const first = await startWorker(env, job);
    await db.query(`INSERT INTO ${database}.doomed VALUES (1), (2)`);
    await db.query(`DROP TABLE ${database}.doomed`);
    const failure = await first.done.then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(TableGoneError);
    expect((failure as TableGoneError).reason).toBe('TableDropped');
    expect(isRetriable(failure)).toBe(false);
    expect(first.report.snapshot().conditions.map((c) => c.reason)).toContain('TableDropped');
    expect(await ids(topic, 2)).toEqual(['1', '2']);
    // The job's offset stops before the DROP, so a new worker meets it again instead of skipping it.
    const again = await startWorker(env, job).then(
      (w) =>
        w.done.then(
          () => null,
          (err: unknown) => err,
        ),
      (err: unknown) => err,
    );
    expect((again as TableGoneError).reason).toBe('TableDropped');
  });

  it('reports a table renamed out of the selection', async () => {
    const topic = uniqueName('pos-rename');
    await createTopic(env, topic, 1);
    await db.query(`CREATE TABLE ${database}.renamed_away (id INT PRIMARY KEY)`);
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('job'), { topic, objects: [{ database, tables: [{ name: 'renamed_away' }] }] }),
    );
    try {
      await db.query(`INSERT INTO ${database}.renamed_away VALUES (1)`);
      await db.query(`RENAME TABLE ${database}.renamed_away TO ${database}.renamed_gone`);
      await db.query(`INSERT INTO ${database}.renamed_gone VALUES (2)`);
      await eventually(() => worker.report.snapshot().conditions.length > 0, 'a report condition');
      expect(worker.report.snapshot().conditions).toEqual([
        {
          reason: 'TableRenamedOutOfSelection',
          message: `table ${database}.renamed_away was renamed to ${database}.renamed_gone, which is not selected: ${database}.renamed_away no longer syncs`,
          since: expect.any(String),
        },
      ]);
      expect(await ids(topic, 1)).toEqual(['1']);
    } finally {
      await worker.stop();
    }
  });
});
