import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { comparePositions } from '../../../src/source/binlog/position-order.ts';
import { secretEnvName } from '../../../src/worker/secrets.ts';
import { type CliProcess, eventually, startCli } from '../../support/cli-process.ts';
import { createMaterializer, type Row, sortedRows } from '../../support/materialize.ts';
import { createTopic, deleteTopics, rootConnection, SYNC_SECRET, testJob } from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { foldTopic } from '../../support/topic-reader.ts';

const env = testEnv();
// SYNCJOB_CRASH_KILLS lowers it while iterating locally; the suite runs the full 20.
const KILLS = Number(process.env.SYNCJOB_CRASH_KILLS ?? 20);
const TABLES = ['a', 'b', 'c', 'seeded'];
// Rows that exist before the job starts: initialization copies them, so kills land there too.
const SEEDED_ROWS = 40_000;
// The writer's workload, by count, so what the topic holds (and this test's memory) is the same
// on any machine: about 9,000 small inserts, 15 transactions of 2,000 rows, updates and deletes.
const WRITER_STATEMENTS = 6_000;

/** Source changes the writer made, by operation: what an exactly-once topic must hold, no more. */
type Tally = Record<'INSERT' | 'UPDATE' | 'DELETE', number>;

describe('crash-safe, exactly-once resume', () => {
  let db: mysql.Connection;
  const database = uniqueName('crash').replace('-', '_');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    for (const t of TABLES) {
      await db.query(`CREATE TABLE ${database}.${t} (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))`);
    }
    // Seeded ids are negative, apart from the writer's, so the writer's tally stays its own.
    await db.query(
      `INSERT INTO ${database}.seeded SELECT -seq, seq % 7, CONCAT('seed-', seq) FROM ${database}.seq_1_to_${SEEDED_ROWS}`,
    );
  });

  afterAll(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  /**
   * `WRITER_STATEMENTS` random single-row, multi-row and large transactions (or fewer, on `stop()`);
   * tallies changed rows. `done` tells how many statements ran.
   */
  function startWriter(conn: mysql.Connection) {
    const tally: Tally = { INSERT: 0, UPDATE: 0, DELETE: 0 };
    let stopped = false;
    let nextId = 1;
    let done = 0;
    const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
    const loop = (async () => {
      for (let n = 0; !stopped && n < WRITER_STATEMENTS; n++, done = n) {
        const t = `${database}.${pick(TABLES)}`;
        const r = Math.random();
        if (n % 400 === 200) {
          // A large transaction, so kills also land inside one.
          const first = nextId;
          nextId += 2000;
          const [res] = await conn.query<mysql.ResultSetHeader>(
            `INSERT INTO ${t} SELECT seq, seq % 97, CONCAT('bulk-', seq) FROM ${database}.seq_${first}_to_${first + 1999}`,
          );
          tally.INSERT += res.affectedRows;
        } else if (r < 0.5) {
          const rows = 1 + Math.floor(Math.random() * 5);
          const values = Array.from({ length: rows }, () => [
            nextId++,
            Math.floor(Math.random() * 1000),
            `n${n}`,
          ]);
          const [res] = await conn.query<mysql.ResultSetHeader>(`INSERT INTO ${t} VALUES ?`, [values]);
          tally.INSERT += res.affectedRows;
        } else if (r < 0.8) {
          const lo =
            t.endsWith('seeded') && Math.random() < 0.7
              ? -Math.floor(Math.random() * SEEDED_ROWS)
              : Math.floor(Math.random() * nextId);
          const [res] = await conn.query<mysql.ResultSetHeader>(
            `UPDATE ${t} SET v = v + 1, note = 'u${n}' WHERE id BETWEEN ? AND ?`,
            [lo, lo + 3],
          );
          tally.UPDATE += res.affectedRows;
        } else {
          const lo =
            t.endsWith('seeded') && Math.random() < 0.7
              ? -Math.floor(Math.random() * SEEDED_ROWS)
              : Math.floor(Math.random() * nextId);
          const [res] = await conn.query<mysql.ResultSetHeader>(`DELETE FROM ${t} WHERE id BETWEEN ? AND ?`, [
            lo,
            lo + 2,
          ]);
          tally.DELETE += res.affectedRows;
        }
      }
    })();
    return {
      tally,
      done: () => done,
      finished: loop,
      async stop() {
        stopped = true;
        await loop;
      },
    };
  }

  it(`loses and duplicates nothing through ${KILLS} SIGKILLs of the worker`, {
    timeout: 420_000,
  }, async () => {
    const topic = uniqueName('crash');
    await createTopic(env, topic, 3);
    const dir = mkdtempSync(path.join(tmpdir(), 'syncjob-crash-'));
    const file = path.join(dir, 'job.yaml');
    const metricsPort = 19400 + Math.floor(Math.random() * 500);
    const job = testJob(env, uniqueName('crash-job'), {
      topic,
      objects: [{ database, tables: TABLES.map((name) => ({ name })) }],
      target: { partitioning: 'primaryKey' },
      initialization: { data: true, chunkSize: 500, parallelism: 2 },
      offsets: { topic: uniqueName('crash-offsets') },
      worker: { metricsPort },
    });
    writeFileSync(file, stringify(job));
    const secretEnv = { [secretEnvName(SYNC_SECRET)]: env.mysql.syncPassword };
    const ready = () =>
      eventually(
        async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => null))?.status === 200,
        'the worker to stream',
      );

    let worker: CliProcess = startCli(['run', '-f', file], secretEnv);
    await ready();
    const writerConn = await rootConnection(env);
    const writer = startWriter(writerConn);
    let kills = 0;
    try {
      while (kills < KILLS) {
        // Anywhere from mid-start-up to well into streaming, and spread over the writer's work
        // whatever the machine's speed: kill k waits until the writer is k/KILLS through (or done).
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 1800));
        await eventually(
          () => writer.done() >= (kills * WRITER_STATEMENTS) / KILLS,
          `the writer to pass statement ${(kills * WRITER_STATEMENTS) / KILLS}`,
          120_000,
        );
        worker.child.kill('SIGKILL');
        await worker.exited;
        kills++;
        worker = startCli(['run', '-f', file], secretEnv);
      }
      await writer.finished;
      await ready();

      const keyColumns = Object.fromEntries(TABLES.map((t) => [`${database}.${t}`, ['id']]));
      const expected = new Map<string, Row[]>();
      for (const t of TABLES) {
        const [rows] = await db.query<mysql.RowDataPacket[]>(`SELECT id, v, note FROM ${database}.${t}`);
        const table = new Map(
          rows.map((r) => [
            JSON.stringify([String(r.id)]),
            { id: String(r.id), v: String(r.v), note: r.note as string },
          ]),
        );
        expected.set(`${database}.${t}`, sortedRows(table));
      }
      const total = writer.tally.INSERT + writer.tally.UPDATE + writer.tally.DELETE;
      expect(total).toBeGreaterThan(0);
      // Caught up once the offset the worker stored reaches the source's binlog end.
      const [[end]] = await db.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
      await eventually(
        async () => {
          const report = (await (await fetch(`http://127.0.0.1:${metricsPort}/report`)).json()) as {
            position: { file: string; position: number } | null;
            initialization: { done: boolean } | null;
          };
          const at = report.position;
          // Initialization runs beside the stream and may end after it caught up; null: none due.
          return (
            (report.initialization === null || report.initialization.done) &&
            at !== null &&
            comparePositions(
              { file: at.file, offset: at.position },
              { file: String(end!.File), offset: Number(end!.Position) },
            ) >= 0
          );
        },
        'the worker to catch up with the source and finish initialization',
        180_000,
      );
      // Folded as it is read: only the materialized tables, counts and ids are kept.
      const materializer = createMaterializer(keyColumns);
      const byOp: Tally = { INSERT: 0, UPDATE: 0, DELETE: 0 };
      const initKeys = new Set<string>();
      let initRecords = 0;
      const ids = new Set<number>();
      let maxId = 0;
      const read = await foldTopic(env.kafka.brokers, topic, (m) => {
        materializer.apply(m);
        if (m.record.operation === 'INIT') {
          initRecords++;
          initKeys.add(`${m.record.objectName}:${m.key}`);
        } else byOp[m.record.operation as keyof Tally]++;
        const id = Number(m.record.id);
        ids.add(id);
        maxId = Math.max(maxId, id);
      });
      for (const [name, rows] of expected)
        expect(sortedRows(materializer.tables.get(name)), name).toEqual(rows);

      // Exactly once: one record per source change, ids 1..N without a gap or a repeat.
      expect(byOp).toEqual(writer.tally);
      // Initialization: no row initialized twice. Seeded rows (negative ids) at most once each, most
      // of them (those the stream touched first need none); a chunk read after a restart also
      // copies rows the writer added meanwhile, as it should.
      expect(initKeys.size).toBe(initRecords);
      const seededInit = [...initKeys].filter((k) => k.includes('.seeded:["-')).length;
      expect(seededInit).toBeLessThanOrEqual(SEEDED_ROWS);
      expect(seededInit).toBeGreaterThan(SEEDED_ROWS / 2);
      expect(ids.size).toBe(read);
      expect(maxId).toBe(read);
      console.log(
        `crash-resume: ${kills} SIGKILLs, ${total} source changes (${JSON.stringify(writer.tally)}) and ${initRecords} initialized rows, all exactly once`,
      );
    } finally {
      await writer.stop();
      await writerConn.end();
      worker.child.kill('SIGKILL');
      await worker.exited;
      await deleteTopics(env, [topic]);
    }
  });
});
