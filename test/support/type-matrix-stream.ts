// The type matrix through a real worker: its tables in a new database, a one-partition topic, and
// a worker streaming them while every case's rows are inserted and then `changes` runs.
import type mysql from 'mysql2/promise';
import { createTopic, startWorker, testJob } from './sync-job.ts';
import type { TestEnv } from './testenv.ts';
import { uniqueName } from './testenv.ts';
import { casesFor } from './type-matrix-cases.ts';

export async function streamTypeMatrix(
  env: TestEnv,
  db: mysql.Connection,
  target: { database: string; topic: string },
  changes: () => Promise<void>,
): Promise<void> {
  const { database, topic } = target;
  await db.query(`CREATE DATABASE ${database}`);
  const cases = casesFor(env.sourceType);
  for (const c of cases) await db.query(`CREATE TABLE ${database}.${c.table} (${c.columns})`);
  await createTopic(env, topic, 1);
  const worker = await startWorker(
    env,
    testJob(env, uniqueName('job'), {
      topic,
      objects: [{ database, tables: cases.map((c) => ({ name: c.table })) }],
    }),
  );
  try {
    // Non-strict, so zero dates and the ENUM error value can be stored; UTC, so the TIMESTAMP
    // literals are the instants of the fixture.
    await db.query("SET SESSION sql_mode = '', time_zone = '+00:00'");
    for (const c of cases) await db.query(`INSERT INTO ${database}.${c.table} VALUES ${c.rows.join(', ')}`);
    await changes();
  } finally {
    await worker.stop();
  }
}
