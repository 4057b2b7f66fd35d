import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { secretEnvName } from '../../../src/worker/secrets.ts';
import { type CliProcess, eventually, startCli } from '../../support/cli-process.ts';
import { createMaterializer, sortedRows } from '../../support/materialize.ts';
import { seqRows } from '../../support/seq-rows.ts';
import {
  createTopic,
  deleteTopics,
  rootConnection,
  SYNC_SECRET,
  testJob,
  untilCaughtUp,
  untilReady,
  workerReport,
} from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { foldTopic } from '../../support/topic-reader.ts';
import { sourceTables, startWriter, type Tally } from '../../support/writer.ts';

const env = testEnv();
// SYNCJOB_CRASH_KILLS lowers it while iterating locally; the suite runs the full 20.
const KILLS = Number(process.env.SYNCJOB_CRASH_KILLS ?? 20);
const TABLES = ['a', 'b', 'c', 'seeded'];
// Rows that exist before the job starts: initialization copies them, so kills land there too.
const SEEDED_ROWS = 40_000;
// The writer's workload, by count, so what the topic holds (and this test's memory) is the same
// on any machine: about 9,000 small inserts, 15 transactions of 2,000 rows, updates and deletes.
const WRITER_STATEMENTS = 6_000;

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
      `INSERT INTO ${database}.seeded SELECT -seq, seq % 7, CONCAT('seed-', seq) FROM ${seqRows(SEEDED_ROWS)}`,
    );
  });

  afterAll(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

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
    const ready = () => untilReady(metricsPort);

    let worker: CliProcess = startCli(['run', '-f', file], secretEnv);
    await ready();
    const writerConn = await rootConnection(env);
    const writer = startWriter(writerConn, {
      database,
      tables: TABLES,
      statements: WRITER_STATEMENTS,
      seeded: { tables: ['seeded'], rows: SEEDED_ROWS },
    });
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
      const expected = await sourceTables(db, database, TABLES);
      const total = writer.tally.INSERT + writer.tally.UPDATE + writer.tally.DELETE;
      expect(total).toBeGreaterThan(0);
      await untilCaughtUp(db, () => workerReport(metricsPort));
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
