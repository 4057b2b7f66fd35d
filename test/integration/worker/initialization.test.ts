import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { valueText } from '../../../src/format/dts-avro/render.ts';
import type { DtsValue } from '../../../src/format/dts-avro/values.ts';
import { eventually } from '../../support/cli-process.ts';
import { materialize, type Row, sortedRows } from '../../support/materialize.ts';
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
import { readAll } from '../../support/topic-reader.ts';

const env = testEnv();

const WRITER_STATEMENTS = 30_000;

describe('initialization: lock-free snapshot interleaved with the stream', () => {
  let db: mysql.Connection;
  const database = uniqueName('init').replace('-', '_');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(`CREATE TABLE ${database}.nums (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(30))`);
    await db.query(
      `INSERT INTO ${database}.nums SELECT seq, seq % 13, CONCAT('n', seq) FROM ${seqRows(20000)}`,
    );
    await db.query(
      `CREATE TABLE ${database}.names (name VARCHAR(20) COLLATE utf8mb4_general_ci, part INT, v INT NOT NULL, PRIMARY KEY (name, part))`,
    );
    await db.query(
      `INSERT INTO ${database}.names SELECT CONCAT(IF(seq % 2, 'k', 'K'), seq % 500), seq DIV 500, seq FROM ${seqRows(5000)}`,
    );
    await db.query(`CREATE TABLE ${database}.keyless (a INT, b VARCHAR(10))`);
    await db.query(`INSERT INTO ${database}.keyless SELECT seq, CONCAT('x', seq) FROM ${seqRows(300)}`);
  });

  afterAll(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  it('copies every row once while writes go on, never blocking them, and equals the source', {
    timeout: 180_000,
  }, async () => {
    const topic = uniqueName('init');
    await createTopic(env, topic, 2);
    const writerConn = await rootConnection(env);
    // Lock-free, checked in a way no load can fake: a write that waited 1 s for a lock (a table
    // lock, a locking read, FLUSH TABLES WITH READ LOCK) fails with ER_LOCK_WAIT_TIMEOUT and so
    // fails the test; waiting for a busy CPU never does.
    await writerConn.query('SET SESSION innodb_lock_wait_timeout = 1, lock_wait_timeout = 1');
    let stop = false;
    let longestStallMs = 0;
    let statements = 0;
    const writer = (async () => {
      // Until initialization is done, at most WRITER_STATEMENTS: the topic's size is bounded by count.
      for (let n = 0; !stop && n < WRITER_STATEMENTS; n++) {
        const started = performance.now();
        const id = 1 + Math.floor(Math.random() * 25_000);
        const r = Math.random();
        if (r < 0.4)
          await writerConn.query(`UPDATE ${database}.nums SET v = v + 1, note = 'w${n}' WHERE id = ?`, [id]);
        else if (r < 0.6) await writerConn.query(`DELETE FROM ${database}.nums WHERE id = ?`, [id]);
        else if (r < 0.8)
          await writerConn.query(`REPLACE INTO ${database}.nums VALUES (?, ?, ?)`, [id, n, `r${n}`]);
        else
          await writerConn.query(`UPDATE ${database}.names SET v = v + 1 WHERE name = ? AND part = ?`, [
            `k${id % 500}`,
            id % 10,
          ]);
        longestStallMs = Math.max(longestStallMs, performance.now() - started);
        statements++;
      }
    })();

    const worker = await startWorker(
      env,
      testJob(env, uniqueName('init-job'), {
        topic,
        objects: [{ database, tables: [{ name: 'nums' }, { name: 'names' }, { name: 'keyless' }] }],
        initialization: { data: true, schema: true, chunkSize: 1000, parallelism: 2 },
      }),
    );
    try {
      await eventually(
        () => worker.report.snapshot().initialization?.done === true,
        'initialization to finish',
        120_000,
      );
      const initStall = longestStallMs;
      // Keep writing a little after initialization, then stop and let the worker catch up.
      await new Promise((r) => setTimeout(r, 1000));
      stop = true;
      await writer;
      await untilCaughtUp(db, () => worker.report.snapshot());
      const messages = await readAll(env.kafka.brokers, topic);
      const records = messages.map((m) => m.record);

      // Structure first: each table's DDL record comes before any of its rows.
      for (const t of ['nums', 'names', 'keyless']) {
        const mine = records
          .filter((r) => r.objectName === `${database}.${t}`)
          .sort((a, b) => Number(a.id) - Number(b.id));
        expect(mine[0]!.operation).toBe('DDL');
        expect(mine[0]!.afterImages as string).toMatch(new RegExp(`^CREATE TABLE \`${t}\``));
      }
      // Each key gets at most one INIT record; ids are unique and contiguous.
      for (const t of ['nums', 'names']) {
        const keys = records
          .filter((r) => r.operation === 'INIT' && r.objectName === `${database}.${t}`)
          .map((r) =>
            JSON.stringify(
              (r.afterImages as readonly DtsValue[]).slice(0, t === 'names' ? 2 : 1).map(valueText),
            ),
          );
        expect(new Set(keys).size).toBe(keys.length);
      }
      const ids = records.map((r) => Number(r.id)).sort((x, y) => x - y);
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));

      const materialized = materialize(messages, {
        [`${database}.nums`]: ['id'],
        [`${database}.names`]: ['name', 'part'],
        [`${database}.keyless`]: ['a', 'b'],
      });
      const source = async (
        sql: string,
        key: (r: mysql.RowDataPacket) => unknown[],
        row: (r: mysql.RowDataPacket) => Row,
      ) => {
        const [rows] = await db.query<mysql.RowDataPacket[]>(sql);
        return sortedRows(new Map(rows.map((r) => [JSON.stringify(key(r).map(String)), row(r)])));
      };
      expect(sortedRows(materialized.get(`${database}.nums`))).toEqual(
        await source(
          `SELECT * FROM ${database}.nums`,
          (r) => [r.id],
          (r) => ({ id: String(r.id), v: String(r.v), note: r.note }),
        ),
      );
      expect(sortedRows(materialized.get(`${database}.names`))).toEqual(
        await source(
          `SELECT * FROM ${database}.names`,
          (r) => [r.name, r.part],
          (r) => ({ name: r.name, part: String(r.part), v: String(r.v) }),
        ),
      );
      expect(sortedRows(materialized.get(`${database}.keyless`))).toEqual(
        await source(
          `SELECT * FROM ${database}.keyless`,
          (r) => [r.a, r.b],
          (r) => ({ a: String(r.a), b: r.b }),
        ),
      );
      expect(worker.report.snapshot().conditions.map((c) => c.reason)).toEqual(['TableWithoutUsableKey']);
      // Lock-free: every write succeeded (see the lock wait timeouts above); the longest one is
      // a measurement of this machine, shown, not asserted.
      expect(statements).toBeGreaterThan(0);
      console.log(
        `initialization: ${statements} concurrent writes, none waited on a lock; longest write ${initStall.toFixed(1)} ms`,
      );
    } finally {
      stop = true;
      await writer.catch(() => undefined);
      await writerConn.end();
      await worker.stop();
      await deleteTopics(env, [topic]);
    }
  });

  it('fails over a killed snapshot connection: the retry goes on after the last row written, each row once', {
    timeout: 120_000,
  }, async () => {
    const rows = 40_000;
    await db.query(`CREATE TABLE ${database}.killed (id INT PRIMARY KEY, note VARCHAR(30))`);
    await db.query(`INSERT INTO ${database}.killed SELECT seq, CONCAT('k', seq) FROM ${seqRows(rows)}`);
    const topic = uniqueName('init-kill');
    await createTopic(env, topic, 1);
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('init-kill-job'), {
        topic,
        objects: [{ database, tables: [{ name: 'killed' }] }],
        initialization: { data: true, chunkSize: 100, parallelism: 1 },
      }),
    );
    try {
      // The snapshot thread's connection, caught reading a chunk (a few ms each, so polled without
      // pause), once some chunks are written.
      await eventually(
        async () => ((await worker.metrics.initRows.get()).values[0]?.value ?? 0) >= 2000,
        'the first chunks',
      );
      let killed = 0;
      while (killed === 0 && worker.report.snapshot().initialization?.done !== true) {
        const [list] = await db.query<mysql.RowDataPacket[]>(
          `SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND INFO LIKE 'SELECT%killed%'`,
          [env.mysql.syncUser],
        );
        for (const { ID } of list) {
          await db.query(`KILL ${Number(ID)}`).catch(() => undefined);
          killed++;
        }
      }
      expect(killed).toBeGreaterThan(0);
      await eventually(
        () => worker.report.snapshot().initialization?.done === true,
        'initialization to finish after the kill',
        90_000,
      );
      const restarts = (await worker.metrics.streamRestarts.get()).values[0]?.value ?? 0;
      expect(restarts).toBeGreaterThanOrEqual(1);
      const ids = (await readAll(env.kafka.brokers, topic))
        .filter((m) => m.record.operation === 'INIT')
        .map((m) => Number(valueText((m.record.afterImages as readonly DtsValue[])[0]!)));
      expect(ids.length).toBe(rows);
      expect(new Set(ids).size).toBe(rows);
    } finally {
      await worker.stop();
      await deleteTopics(env, [topic]);
    }
  });
});
