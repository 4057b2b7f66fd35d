// tables[].partitionKey: records are partitioned by the chosen columns' values instead of the
// primary key, in the snapshot and in the stream alike, with concurrent writes that also move rows
// from one partition key value to another. Each record lies in the partition its image's values
// hash to, ids rise within each partition (binlog order), and the topic materializes to the source.
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPartition } from '../../../src/sink/partitioner.ts';
import { type Row, rowOf } from '../../support/materialize.ts';
import { seqRows } from '../../support/seq-rows.ts';
import {
  createTopic,
  deleteTopics,
  rootConnection,
  startWorker,
  testJob,
  untilCaughtUp,
} from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { foldTopic } from '../../support/topic-reader.ts';

const env = testEnv();
const PARTITIONS = 3;
const SEEDED = 600;
const CUSTOMERS = 12;
// Statements written while the table is copied and after: by count.
const STATEMENTS = 400;

describe('partitioning by tables[].partitionKey', () => {
  let db: mysql.Connection;
  const database = uniqueName('pkey').replaceAll('-', '_');
  const topic = uniqueName('pkey');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(
      `CREATE TABLE ${database}.orders (id INT PRIMARY KEY, customer VARCHAR(20) NOT NULL, v INT NOT NULL)`,
    );
    await db.query(
      `INSERT INTO ${database}.orders SELECT seq, CONCAT('c', seq % ${CUSTOMERS}), 0 FROM ${seqRows(SEEDED)}`,
    );
    await createTopic(env, topic, PARTITIONS);
  });

  afterAll(async () => {
    await deleteTopics(env, [topic, `${topic}-offsets`]);
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  it('puts each record in the partition of its partition key, in order, and the topic equals the source', {
    timeout: 180_000,
  }, async () => {
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('pkey'), {
        topic,
        objects: [{ database, tables: [{ name: 'orders', partitionKey: ['customer'] }] }],
        target: { partitioning: 'primaryKey' },
        initialization: { data: true, chunkSize: 100 },
        offsets: { topic: `${topic}-offsets` },
      }),
    );
    try {
      let nextId = SEEDED + 1;
      const pick = () => 1 + Math.floor(Math.random() * (nextId - 1));
      const customer = () => `c${Math.floor(Math.random() * CUSTOMERS)}`;
      for (let n = 0; n < STATEMENTS; n++) {
        const r = Math.random();
        if (r < 0.35)
          await db.query(`INSERT INTO ${database}.orders VALUES (?, ?, 1)`, [nextId++, customer()]);
        else if (r < 0.6) await db.query(`UPDATE ${database}.orders SET v = v + 1 WHERE id = ?`, [pick()]);
        // Moves the row to another partition key value (and so, mostly, another partition).
        else if (r < 0.85)
          await db.query(`UPDATE ${database}.orders SET customer = ? WHERE id = ?`, [customer(), pick()]);
        else await db.query(`DELETE FROM ${database}.orders WHERE id = ?`, [pick()]);
      }
      await untilCaughtUp(db, () => worker.report.snapshot());
    } finally {
      await worker.stop();
    }

    const objectName = `${database}.orders`;
    // The latest record per row wins (ids rise in binlog order): order-free across partitions,
    // and only the table is kept.
    const latest = new Map<string, { id: number; row: Row | null }>();
    const lastIdOf = new Map<number, number>();
    const misplaced: string[] = [];
    const used = new Set<number>();
    await foldTopic(env.kafka.brokers, topic, (m) => {
      const rec = m.record;
      if (rec.operation === 'DDL') return;
      const id = Number(rec.id);
      expect(id, `ids rise within partition ${m.partition}`).toBeGreaterThan(lastIdOf.get(m.partition) ?? 0);
      lastIdOf.set(m.partition, id);
      const image = rowOf(rec, rec.operation === 'DELETE' ? rec.beforeImages : rec.afterImages);
      const expected = hashPartition(`${objectName}:${JSON.stringify([image.customer])}`, PARTITIONS);
      if (m.partition !== expected)
        misplaced.push(`${rec.operation} id=${image.id} customer=${image.customer}`);
      used.add(m.partition);
      // The record key stays the primary key.
      expect(m.key).toBe(`${objectName}:${JSON.stringify([image.id])}`);
      const prior = latest.get(image.id!);
      if (!prior || prior.id < id)
        latest.set(image.id!, { id, row: rec.operation === 'DELETE' ? null : image });
    });
    expect(misplaced).toEqual([]);
    expect(used.size).toBe(PARTITIONS);
    const [rows] = await db.query<mysql.RowDataPacket[]>(`SELECT id, customer, v FROM ${database}.orders`);
    const materialized = [...latest.values()].flatMap((l) => (l.row ? [l.row] : []));
    const sort = (rs: Row[]) => rs.sort((a, b) => Number(a.id) - Number(b.id));
    expect(sort(materialized)).toEqual(
      sort(rows.map((r) => ({ id: String(r.id), customer: String(r.customer), v: String(r.v) }))),
    );
  });
});
