import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { SyncJob } from '../../../src/api/v1alpha1/syncjob-spec.ts';
import { secretEnvName } from '../../../src/worker/secrets.ts';
import { type CliProcess, eventually, startCli } from '../../support/cli-process.ts';
import { foldJobTopic } from '../../support/job-topic.ts';
import { sortedRows } from '../../support/materialize.ts';
import { seqRows } from '../../support/seq-rows.ts';
import {
  createTopic,
  deleteTopics,
  rootConnection,
  SYNC_SECRET,
  startWorker,
  testJob,
  untilCaughtUp,
  untilReady,
  workerReport,
} from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { sourceTables, startWriter } from '../../support/writer.ts';

const env = testEnv();
const KILLS = 3;
// Rows the added table holds before it joins the job (negative ids, apart from the writer's).
const ADDED_ROWS = 100_000;
const SEEDED_ROWS = 2_000;
const TABLE_DDL = '(id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))';

describe('selection changes of a running job', () => {
  let db: mysql.Connection;
  const database = uniqueName('selch').replace('-', '_');
  const other = `${database}_other`;

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(`CREATE DATABASE ${other}`);
  });

  afterAll(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.query(`DROP DATABASE IF EXISTS ${other}`);
    await db.end();
  });

  it(`initializes a table added to the spec, through ${KILLS} SIGKILLs during its copy, while all tables are written`, {
    timeout: 420_000,
  }, async () => {
    for (const t of ['a', 'b', 'added']) await db.query(`CREATE TABLE ${database}.${t} ${TABLE_DDL}`);
    await db.query(
      `INSERT INTO ${database}.a SELECT -seq, seq % 7, CONCAT('seed-', seq) FROM ${seqRows(SEEDED_ROWS)}`,
    );
    await db.query(
      `INSERT INTO ${database}.added SELECT -seq, seq % 11, CONCAT('old-', seq) FROM ${seqRows(ADDED_ROWS)}`,
    );
    const topic = uniqueName('added');
    await createTopic(env, topic, 2);
    const dir = mkdtempSync(path.join(tmpdir(), 'syncjob-added-'));
    const file = path.join(dir, 'job.yaml');
    const metricsPort = 19400 + Math.floor(Math.random() * 500);
    const jobWith = (tables: string[]): SyncJob =>
      testJob(env, 'added-job', {
        topic,
        objects: [{ database, tables: tables.map((name) => ({ name })) }],
        target: { partitioning: 'primaryKey' },
        // Small chunks, one table at a time: the copy spans many chunks, so kills land inside it.
        initialization: { data: true, chunkSize: 100, parallelism: 1 },
        offsets: { topic: uniqueName('added-offsets') },
        worker: { metricsPort },
      });
    const secretEnv = { [secretEnvName(SYNC_SECRET)]: env.mysql.syncPassword };
    const report = () => workerReport(metricsPort);
    // INIT records this worker process wrote (syncjob_events_total counts acknowledged records).
    const initWritten = async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => null))?.text();
      return Number(/^syncjob_events_total\{[^}]*operation="INIT"[^}]*\} (\d+)/m.exec(text ?? '')?.[1] ?? 0);
    };
    const ready = () => untilReady(metricsPort);
    const first = jobWith(['a', 'b']);
    writeFileSync(file, stringify(first));
    let worker: CliProcess = startCli(['run', '-f', file], secretEnv);
    await ready();
    await untilCaughtUp(db, report);
    // From here on every table is written to, the added one before it joins the job too.
    const writerConn = await rootConnection(env);
    const writer = startWriter(writerConn, {
      database,
      tables: ['a', 'b', 'added'],
      statements: 3_000,
      seeded: { tables: ['a', 'added'], rows: SEEDED_ROWS },
    });
    try {
      await eventually(() => writer.done() >= 500, 'the writer to make some changes');

      // The edit a user makes: the same job (its offsets) with one more table.
      worker.child.kill('SIGTERM');
      await worker.exited;
      writeFileSync(
        file,
        stringify({ ...first, spec: { ...first.spec, objects: jobWith(['a', 'b', 'added']).spec.objects } }),
      );
      worker = startCli(['run', '-f', file], secretEnv);
      let kills = 0;
      while (kills < KILLS) {
        // Killed once this run has written a tenth of the table to Kafka (INIT records it counts
        // once acknowledged): every run moves the copy on, and the last one resumes, not restarts.
        const deadline = Date.now() + 120_000;
        for (;;) {
          const r = await report().catch(() => null);
          if (r?.initialization?.done) throw new Error(`the copy finished after only ${kills} kills`);
          if ((await initWritten()) >= ADDED_ROWS / 10) break;
          if (Date.now() > deadline) throw new Error('timed out waiting for the added table to be copied');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        worker.child.kill('SIGKILL');
        await worker.exited;
        kills++;
        worker = startCli(['run', '-f', file], secretEnv);
      }
      await writer.finished;
      await ready();
      await untilCaughtUp(db, report);
      const final = await report();
      expect(final.initialization).toMatchObject({ done: true, tablesDone: 1, tablesTotal: 1 });
      // The last run went on from the stored cursor: it copied what the killed ones had not.
      expect(final.initialization!.rows).toBeLessThan(ADDED_ROWS * 0.8);

      const names = ['a', 'b', 'added'].map((t) => `${database}.${t}`);
      const topicState = await foldJobTopic(env, topic, names);
      const expected = await sourceTables(db, database, ['a', 'b', 'added']);
      for (const [name, rows] of expected)
        expect(sortedRows(topicState.tables.get(name)), name).toEqual(rows);
      // No row initialized twice; the first tables not again; most of the added table's old rows
      // by copy (those the stream touched first need none).
      expect(topicState.initKeys.size).toBe(topicState.initRecords);
      expect(topicState.initByTable.get(`${database}.a`) ?? 0).toBeLessThanOrEqual(SEEDED_ROWS);
      const addedInit = topicState.initByTable.get(`${database}.added`) ?? 0;
      expect(addedInit).toBeGreaterThan(ADDED_ROWS / 2);
      // Exactly once: ids 1..N without a gap or a repeat.
      expect(topicState.ids.size).toBe(topicState.read);
      expect(topicState.maxId).toBe(topicState.read);
      console.log(
        `selection-changes: table added with ${ADDED_ROWS} rows, ${kills} SIGKILLs during its copy, ${addedInit} rows copied (the last run ${final.initialization!.rows}), topic equals the source`,
      );
    } finally {
      await writer.stop();
      await writerConn.end();
      worker.child.kill('SIGKILL');
      await worker.exited;
      await deleteTopics(env, [topic]);
    }
  });

  it('copies the tables of a re-snapshot request once, while the stream goes on', {
    timeout: 180_000,
  }, async () => {
    const tables = ['r1', 'r2'];
    const names = tables.map((t) => `${database}.${t}`);
    for (const t of tables) await db.query(`CREATE TABLE ${database}.${t} ${TABLE_DDL}`);
    await db.query(
      `INSERT INTO ${database}.r1 SELECT -seq, seq % 7, CONCAT('r-', seq) FROM ${seqRows(SEEDED_ROWS)}`,
    );
    const topic = uniqueName('resnap');
    await createTopic(env, topic, 1);
    const base = {
      topic,
      objects: [{ database, tables: tables.map((name) => ({ name })) }],
      offsets: { topic: uniqueName('resnap-offsets') },
    };
    const job = testJob(env, 'resnap-job', { ...base, initialization: { data: true, chunkSize: 500 } });
    const requested = testJob(env, 'resnap-job', {
      ...base,
      initialization: {
        data: true,
        chunkSize: 500,
        resnapshots: [{ name: 'after-repair', tables: [{ database, table: 'r1' }] }],
      },
    });
    let worker = await startWorker(env, job);
    await untilCaughtUp(db, () => worker.report.snapshot());
    // Written from when the job streams: every change must reach the topic exactly once.
    const writerConn = await rootConnection(env);
    const writer = startWriter(writerConn, {
      database,
      tables,
      statements: 2_000,
      seeded: { tables: ['r1'], rows: SEEDED_ROWS },
      largeEvery: 1000,
    });
    try {
      await eventually(() => writer.done() >= 500, 'the writer to make some changes');
      await worker.stop();
      const initial = (await foldJobTopic(env, topic, names)).initByTable;
      expect(initial.get(`${database}.r1`)).toBeGreaterThan(SEEDED_ROWS / 2);
      // The request joins the spec; the stream resumes where it was and r1 is copied again.
      worker = await startWorker(env, requested);
      await writer.finished;
      await untilCaughtUp(db, () => worker.report.snapshot());
      await worker.stop();
      // The request stays in the spec: handled once, a restart copies nothing.
      worker = await startWorker(env, requested);
      await untilCaughtUp(db, () => worker.report.snapshot());
      expect(worker.report.snapshot().initialization).toBeNull();

      const state = await foldJobTopic(env, topic, names);
      const [[count]] = await db.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${database}.r1`);
      const n = Number(count!.n);
      const again = state.initByTable.get(`${database}.r1`)! - initial.get(`${database}.r1`)!;
      // Every row of r1 but those the stream touched during the copy arrives again as INIT; r2 not.
      expect(again).toBeGreaterThan(n / 2);
      expect(again).toBeLessThanOrEqual(n);
      expect(state.initByTable.get(`${database}.r2`)).toBe(initial.get(`${database}.r2`));
      // The stream was not interrupted: every change exactly once.
      expect(state.byOp).toEqual(writer.tally);
      for (const [name, rows] of await sourceTables(db, database, tables))
        expect(sortedRows(state.tables.get(name)), name).toEqual(rows);
    } finally {
      await writer.stop();
      await writerConn.end();
      await worker.stop();
      await deleteTopics(env, [topic]);
    }
  });

  it('copies a table renamed into a selected database while streaming, without a restart', {
    timeout: 120_000,
  }, async () => {
    const selected = `${database}_whole`;
    await db.query(`CREATE DATABASE ${selected}`);
    await db.query(`CREATE TABLE ${selected}.base ${TABLE_DDL}`);
    await db.query(`CREATE TABLE ${other}.moving ${TABLE_DDL}`);
    await db.query(`INSERT INTO ${other}.moving SELECT seq, seq % 5, 'before' FROM ${seqRows(3000)}`);
    const topic = uniqueName('renamed');
    await createTopic(env, topic, 1);
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('renamed-job'), {
        topic,
        objects: [{ database: selected }],
        initialization: { data: true, chunkSize: 500 },
        offsets: { topic: uniqueName('renamed-offsets') },
      }),
    );
    try {
      await untilCaughtUp(db, () => worker.report.snapshot());
      await db.query(`INSERT INTO ${selected}.base VALUES (1, 1, 'x')`);
      await db.query(`RENAME TABLE ${other}.moving TO ${selected}.moving`);
      await db.query(`UPDATE ${selected}.moving SET note = 'after' WHERE id <= 10`);
      await eventually(
        () => worker.report.snapshot().initialization?.done === true,
        'the renamed table to be copied',
      );
      await untilCaughtUp(db, () => worker.report.snapshot());
      const state = await foldJobTopic(env, topic, [`${selected}.base`, `${selected}.moving`]);
      expect(state.initByTable.get(`${selected}.moving`)).toBeGreaterThan(2900);
      const [want] = (await sourceTables(db, selected, ['moving'])).values();
      expect(sortedRows(state.tables.get(`${selected}.moving`))).toEqual(want);
    } finally {
      await worker.stop();
      await db.query(`DROP DATABASE IF EXISTS ${selected}`);
      await deleteTopics(env, [topic]);
    }
  });
});
