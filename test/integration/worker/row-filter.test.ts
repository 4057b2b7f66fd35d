// tables[].filter: the topic materializes to the source restricted to the filter, with the table
// copied while concurrent writes insert, update and delete rows on both sides of it and move rows
// across it (an UPDATE out of the filter arrives as a DELETE, into it as an INSERT).
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMaterializer, type Row, rowOf, sortedRows } from '../../support/materialize.ts';
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
const SEEDED = 2_000;
const STATEMENTS = 600;
// The job's filter, and the same condition as the source evaluates it (for the expected rows).
const FILTER = "(region IN ('eu', 'uk') AND amount >= 50) OR vip = 1";
const WHERE = "(region IN ('eu', 'uk') AND amount >= 50) OR vip = 1";

describe('tables[].filter', () => {
  let db: mysql.Connection;
  const database = uniqueName('filter').replaceAll('-', '_');
  const topic = uniqueName('filter');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(
      `CREATE TABLE ${database}.orders (id INT PRIMARY KEY, region VARCHAR(8) NOT NULL, amount INT NOT NULL, vip TINYINT NOT NULL)`,
    );
    await db.query(
      `INSERT INTO ${database}.orders SELECT seq, ELT(1 + seq % 4, 'eu', 'uk', 'us', 'apac'), seq % 100, seq % 17 = 0 FROM ${seqRows(SEEDED)}`,
    );
    await createTopic(env, topic, 2);
  });

  afterAll(async () => {
    await deleteTopics(env, [topic, `${topic}-offsets`]);
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  it('writes the rows that meet it, copied and streamed, and moves rows in and out as INSERT and DELETE', {
    timeout: 180_000,
  }, async () => {
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('filter'), {
        topic,
        objects: [{ database, tables: [{ name: 'orders', filter: FILTER }] }],
        target: { partitioning: 'primaryKey' },
        initialization: { data: true, chunkSize: 200 },
        offsets: { topic: `${topic}-offsets` },
      }),
    );
    let crossings = 0;
    try {
      let nextId = SEEDED + 1;
      const pick = () => 1 + Math.floor(Math.random() * (nextId - 1));
      const region = () => ['eu', 'uk', 'us', 'apac'][Math.floor(Math.random() * 4)]!;
      for (let n = 0; n < STATEMENTS; n++) {
        const r = Math.random();
        const id = pick();
        if (r < 0.3)
          await db.query(`INSERT INTO ${database}.orders VALUES (?, ?, ?, ?)`, [
            nextId++,
            region(),
            Math.floor(Math.random() * 100),
            Math.random() < 0.1 ? 1 : 0,
          ]);
        else if (r < 0.85) {
          // Counts the updates whose row crosses the filter, so the test knows it moved rows both ways.
          const [[before]] = await db.query<mysql.RowDataPacket[]>(
            `SELECT (${WHERE}) AS inside FROM ${database}.orders WHERE id = ?`,
            [id],
          );
          await db.query(`UPDATE ${database}.orders SET amount = ?, region = ? WHERE id = ?`, [
            Math.floor(Math.random() * 100),
            region(),
            id,
          ]);
          const [[after]] = await db.query<mysql.RowDataPacket[]>(
            `SELECT (${WHERE}) AS inside FROM ${database}.orders WHERE id = ?`,
            [id],
          );
          if (before && after && Number(before.inside) !== Number(after.inside)) crossings++;
        } else await db.query(`DELETE FROM ${database}.orders WHERE id = ?`, [id]);
      }
      await untilCaughtUp(db, () => worker.report.snapshot());
    } finally {
      await worker.stop();
    }
    expect(crossings).toBeGreaterThan(50);

    const materializer = createMaterializer({ [`${database}.orders`]: ['id'] });
    // The filter written out by hand: the oracle does not use the code under test.
    const meets = (r: Row) => (['eu', 'uk'].includes(r.region!) && Number(r.amount) >= 50) || r.vip === '1';
    const outside: string[] = [];
    await foldTopic(env.kafka.brokers, topic, (m) => {
      materializer.apply(m);
      const rec = m.record;
      // Every image a consumer gets meets the filter: an UPDATE from outside is an INSERT.
      const images = [
        ...(rec.operation === 'DELETE' || rec.operation === 'UPDATE' ? [rowOf(rec, rec.beforeImages)] : []),
        ...(rec.operation === 'DELETE' ? [] : [rowOf(rec, rec.afterImages)]),
      ];
      for (const image of images)
        if (!meets(image)) outside.push(`${rec.operation} ${JSON.stringify(image)}`);
    });
    const [rows] = await db.query<mysql.RowDataPacket[]>(
      `SELECT id, region, amount, vip FROM ${database}.orders WHERE ${WHERE}`,
    );
    const expected = new Map(
      rows.map((r) => [
        JSON.stringify([String(r.id)]),
        { id: String(r.id), region: String(r.region), amount: String(r.amount), vip: String(r.vip) },
      ]),
    );
    expect(outside).toEqual([]);
    expect(sortedRows(materializer.tables.get(`${database}.orders`))).toEqual(sortedRows(expected));
  });
});
