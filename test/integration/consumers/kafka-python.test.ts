// The DTS Python demo's client, kafka-python 2.0.2 (from PyPI, as the demo pins it), reading a
// topic from the beginning with its defaults. It cannot read committed-only: it hands transaction
// markers to the application. An at-least-once job writes none, so every record it reads decodes
// with the DTS Avro schema; the same consumer on an exactly-once topic meets the markers (which
// shows what the mode is for, and that this test would see a marker).

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonWith } from '../../support/python-venv.ts';
import {
  createTopic,
  deleteTopics,
  rootConnection,
  startWorker,
  testJob,
  untilCaughtUp,
} from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

const env = testEnv();
const run = promisify(execFile);
const READER = fileURLToPath(new URL('../../consumers/kafka_python_reader.py', import.meta.url));
const SCHEMA = fileURLToPath(new URL('../../../src/format/dts-avro/dts-record.avsc', import.meta.url));
const SEEDED = 40;
// Inserted, then updated, in one-row transactions (each its own Kafka batch under exactly-once).
const CHANGES = 30;

interface Summary {
  decoded: number;
  undecodable: number;
  operations: Record<string, number>;
  /** Bytes of the smallest message value: a transaction marker's is 6. */
  smallest: number;
}

describe('kafka-python 2.0.2, the DTS Python demo client', () => {
  let db: mysql.Connection;
  let python: string;
  const database = uniqueName('kpy').replaceAll('-', '_');
  const topics: string[] = [];

  beforeAll(async () => {
    python = await pythonWith('kafka-python-2.0.2', ['kafka-python==2.0.2', 'fastavro==1.13.1']);
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
  }, 300_000);

  afterAll(async () => {
    await deleteTopics(env, topics);
    await db?.query(`DROP DATABASE IF EXISTS ${database}`);
    await db?.end();
  });

  /** A job of a table of its own: SEEDED rows initialized, then CHANGES inserts and updates streamed. */
  async function syncTable(table: string, delivery: 'atLeastOnce' | 'exactlyOnce'): Promise<string> {
    await db.query(`CREATE TABLE ${database}.${table} (id INT PRIMARY KEY, v VARCHAR(20))`);
    await db.query(`INSERT INTO ${database}.${table} SELECT seq, 'seed' FROM ${database}.seq_1_to_${SEEDED}`);
    const topic = uniqueName(`kpy-${delivery}`);
    topics.push(topic, `${topic}-offsets`);
    await createTopic(env, topic, 1);
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('kpy'), {
        topic,
        objects: [{ database, tables: [{ name: table }] }],
        target: { delivery },
        initialization: { data: true },
        offsets: { topic: `${topic}-offsets` },
      }),
    );
    try {
      for (let i = 1; i <= CHANGES; i++) {
        await db.query(`INSERT INTO ${database}.${table} VALUES (?, 'new')`, [SEEDED + i]);
        await db.query(`UPDATE ${database}.${table} SET v = 'changed' WHERE id = ?`, [i]);
      }
      await untilCaughtUp(db, () => worker.report.snapshot());
    } finally {
      await worker.stop();
    }
    return topic;
  }

  const read = async (topic: string): Promise<Summary> => {
    const { stdout } = await run(
      python,
      [READER, env.kafka.brokers.join(','), topic, SCHEMA, String(SEEDED + 2 * CHANGES)],
      { timeout: 60_000 },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Summary;
  };

  it('reads every record of an at-least-once topic from the beginning and decodes each one', {
    timeout: 180_000,
  }, async () => {
    const summary = await read(await syncTable('alo', 'atLeastOnce'));
    expect(summary, JSON.stringify(summary)).toMatchObject({
      decoded: SEEDED + 2 * CHANGES,
      undecodable: 0,
      operations: { INIT: SEEDED, INSERT: CHANGES, UPDATE: CHANGES },
    });
    expect(summary.smallest).toBeGreaterThan(6);
  });

  it('meets transaction markers it cannot decode on an exactly-once topic (the default)', {
    timeout: 180_000,
  }, async () => {
    const summary = await read(await syncTable('eos', 'exactlyOnce'));
    expect(summary.undecodable, JSON.stringify(summary)).toBeGreaterThan(0);
    expect(summary.smallest).toBe(6);
  });
});
