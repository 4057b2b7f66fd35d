import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/cli-process.ts';
import { createMaterializer, type Row, sortedRows } from '../../support/materialize.ts';
import {
  createTopic,
  deleteTopics,
  type RunningWorker,
  rootConnection,
  sourceBinlogEnd,
  startWorker,
  testJob,
} from '../../support/sync-job.ts';
import { binlogMonitorPrivilege, testEnv, uniqueName } from '../../support/testenv.ts';
import { foldTopic } from '../../support/topic-reader.ts';

const env = testEnv();
const TABLES = ['a', 'b'];
const BINLOG_KILLS = 4;
const ALL_KILLS = 3;
const STORM_MS = 5000;
// The writer writes while the kills go on, at most this many statements: the topic's size (and
// what this test keeps) is bounded by count, not by how fast the machine writes.
const WRITER_STATEMENTS = 40_000;

/** Source changes the writer made, by operation: what an exactly-once topic must hold, no more. */
type Tally = Record<'INSERT' | 'UPDATE' | 'DELETE', number>;

// The server side cuts the worker's source connections while it streams and a writer writes: the
// worker must retry with backoff, resume from the offset Kafka holds, and still write every change
// exactly once. The job connects as a sync user of its own (same grants and password as the test
// services' sync account), so the KILLs touch this worker's connections and nothing else.
describe('transient source failures', () => {
  let db: mysql.Connection;
  const database = uniqueName('transient').replace('-', '_');
  const user = uniqueName('sync').replace('-', '_');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    for (const t of TABLES) {
      await db.query(`CREATE TABLE ${database}.${t} (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))`);
    }
    await db.query(`CREATE USER '${user}'@'%' IDENTIFIED BY ?`, [env.mysql.syncPassword]);
    await db.query(`GRANT SELECT, REPLICATION SLAVE, ${binlogMonitorPrivilege(env)} ON *.* TO '${user}'@'%'`);
  });

  afterAll(async () => {
    await db.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  /** Single- and multi-row transactions until `stop()` (or WRITER_STATEMENTS); tallies changed rows. */
  function startWriter(conn: mysql.Connection) {
    const tally: Tally = { INSERT: 0, UPDATE: 0, DELETE: 0 };
    let stopped = false;
    let nextId = 1;
    const loop = (async () => {
      for (let n = 0; !stopped && n < WRITER_STATEMENTS; n++) {
        const t = `${database}.${TABLES[n % TABLES.length]}`;
        const r = Math.random();
        if (r < 0.5) {
          const rows = 1 + Math.floor(Math.random() * 5);
          const values = Array.from({ length: rows }, () => [nextId++, n % 1000, `n${n}`]);
          const [res] = await conn.query<mysql.ResultSetHeader>(`INSERT INTO ${t} VALUES ?`, [values]);
          tally.INSERT += res.affectedRows;
        } else if (r < 0.8) {
          const lo = Math.floor(Math.random() * nextId);
          const [res] = await conn.query<mysql.ResultSetHeader>(
            `UPDATE ${t} SET v = v + 1, note = 'u${n}' WHERE id BETWEEN ? AND ?`,
            [lo, lo + 3],
          );
          tally.UPDATE += res.affectedRows;
        } else {
          const lo = Math.floor(Math.random() * nextId);
          const [res] = await conn.query<mysql.ResultSetHeader>(`DELETE FROM ${t} WHERE id BETWEEN ? AND ?`, [
            lo,
            lo + 2,
          ]);
          tally.DELETE += res.affectedRows;
        }
        // A steady stream rather than a flood, so recovery time is not catch-up time.
        if (n % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // A failed write surfaces in stop(), not as an unhandled rejection.
    loop.catch(() => undefined);
    return {
      tally,
      async stop() {
        stopped = true;
        await loop;
      },
    };
  }

  /** The processlist ids of the sync user's connections; `dump`: only the binlog dump. */
  async function threads(dump: boolean): Promise<number[]> {
    const [rows] = await db.query<mysql.RowDataPacket[]>(
      `SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?${dump ? " AND COMMAND LIKE 'Binlog Dump%'" : ''}`,
      [user],
    );
    return rows.map((r) => Number(r.ID));
  }

  async function binlogEnd(): Promise<{ file: string; position: number }> {
    const { file, offset } = await sourceBinlogEnd(db);
    return { file, position: offset };
  }

  /** Whether the worker's acknowledged position has reached `end` (binlog file names sort). */
  function reached(worker: RunningWorker, end: { file: string; position: number }): boolean {
    const p = worker.report.snapshot().position;
    if (!p) return false;
    return p.file > end.file || (p.file === end.file && p.position >= end.position);
  }

  /**
   * `eventually`, except that a worker whose retry loop ended (returned or threw) fails the wait at
   * once with its error, and a timeout says where the worker was.
   */
  async function whileRunning(
    worker: RunningWorker,
    check: () => Promise<boolean> | boolean,
    what: string,
    timeoutMs = 60_000,
  ): Promise<void> {
    let ended: unknown;
    worker.done.then(
      () => {
        ended ??= new Error(`the worker stopped retrying and returned while waiting for ${what}`);
      },
      (err: unknown) => {
        ended ??= err;
      },
    );
    const guarded = async () => {
      if (ended !== undefined) throw ended;
      return check();
    };
    await eventually(guarded, what, timeoutMs).catch((err: unknown) => {
      if (err === ended) throw err;
      throw new Error(`${(err as Error).message}; worker report ${JSON.stringify(worker.report.snapshot())}`);
    });
  }

  /**
   * Waits for a binlog dump connection that is not one of `killed` and for the worker to acknowledge
   * everything written before `before`; returns the milliseconds since `since`.
   */
  async function recovery(
    worker: RunningWorker,
    killed: number[],
    before: { file: string; position: number },
    since: number,
    what: string,
  ): Promise<number> {
    await whileRunning(
      worker,
      async () => (await threads(true)).some((id) => !killed.includes(id)),
      `a new binlog dump connection after ${what}`,
    );
    await whileRunning(
      worker,
      () => reached(worker, before),
      `the worker to acknowledge the changes written before ${what} (${before.file}:${before.position})`,
    );
    return performance.now() - since;
  }

  /** KILL as root; a connection that closed since it was listed is fine (1094 unknown thread). */
  async function kill(id: number): Promise<void> {
    await db.query(`KILL ${id}`).catch((err: { errno?: number }) => {
      if (err.errno !== 1094) throw err;
    });
  }

  /** Kills `ids` as root and measures the recovery. */
  async function killAndRecover(worker: RunningWorker, ids: number[], what: string): Promise<number> {
    const before = await binlogEnd();
    const killedAt = performance.now();
    for (const id of ids) await kill(id);
    return recovery(worker, ids, before, killedAt, what);
  }

  it('resumes exactly once after its binlog and control connections are killed', {
    timeout: 300_000,
  }, async () => {
    const topic = uniqueName('transient');
    const offsetsTopic = uniqueName('transient-offsets');
    await createTopic(env, topic, 3);
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('transient-job'), {
        topic,
        source: { username: user },
        objects: [{ database, tables: TABLES.map((name) => ({ name })) }],
        target: { partitioning: 'primaryKey' },
        offsets: { topic: offsetsTopic },
      }),
    );
    const writerConn = await rootConnection(env);
    const writer = startWriter(writerConn);
    const recoveries: { what: string; ms: number }[] = [];
    try {
      const settle = () => new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
      await settle();
      for (let k = 1; k <= BINLOG_KILLS; k++) {
        const dump = await threads(true);
        expect(dump, 'exactly one binlog dump connection of the worker').toHaveLength(1);
        const what = `binlog kill ${k}`;
        recoveries.push({ what, ms: await killAndRecover(worker, dump, what) });
        await settle();
      }
      for (let k = 1; k <= ALL_KILLS; k++) {
        const all = await threads(false);
        // The binlog dump, zongji's control connection and the worker's own control connection.
        expect(all.length).toBeGreaterThanOrEqual(3);
        const what = `kill of all ${all.length} connections ${k}`;
        recoveries.push({ what, ms: await killAndRecover(worker, all, what) });
        await settle();
      }
      // Then kills in quick succession, landing in every phase of the worker's start-up as well.
      const killed: number[] = [];
      const stormEnd = performance.now() + STORM_MS;
      while (performance.now() < stormEnd) {
        for (const id of await threads(false)) {
          await kill(id);
          killed.push(id);
        }
        await new Promise((r) => setTimeout(r, Math.random() * 300));
      }
      const stormWhat = `${STORM_MS / 1000} s of repeated kills (${killed.length} connections)`;
      recoveries.push({
        what: stormWhat,
        ms: await recovery(worker, killed, await binlogEnd(), performance.now(), stormWhat),
      });
      await writer.stop();

      // Other test runs may share the server's binlog: caught up once at or past its end.
      const end = await binlogEnd();
      await whileRunning(
        worker,
        () => reached(worker, end),
        `the worker to catch up with the source (${end.file}:${end.position})`,
        120_000,
      );
      // Folded as it is read: only the materialized tables, counts and ids are kept.
      const keyColumns = Object.fromEntries(TABLES.map((t) => [`${database}.${t}`, ['id']]));
      const materializer = createMaterializer(keyColumns);
      const byOp: Tally = { INSERT: 0, UPDATE: 0, DELETE: 0 };
      const ids = new Set<number>();
      let maxId = 0;
      const read = await foldTopic(env.kafka.brokers, topic, (m) => {
        materializer.apply(m);
        byOp[m.record.operation as keyof Tally]++;
        ids.add(Number(m.record.id));
        maxId = Math.max(maxId, Number(m.record.id));
      });
      for (const t of TABLES) {
        const [rows] = await db.query<mysql.RowDataPacket[]>(`SELECT id, v, note FROM ${database}.${t}`);
        const expected = sortedRows(
          new Map(
            rows.map((r): [string, Row] => [
              JSON.stringify([String(r.id)]),
              { id: String(r.id), v: String(r.v), note: r.note as string },
            ]),
          ),
        );
        expect(sortedRows(materializer.tables.get(`${database}.${t}`)), t).toEqual(expected);
      }

      // Exactly once: one record per source change, ids 1..N without a gap or a repeat.
      expect(byOp).toEqual(writer.tally);
      const total = writer.tally.INSERT + writer.tally.UPDATE + writer.tally.DELETE;
      expect(read).toBe(total);
      expect(ids.size).toBe(total);
      expect(maxId).toBe(total);
      expect(worker.report.snapshot().conditions).toEqual([]);

      console.log(
        `transient failures: ${total} source changes exactly once; recovery (kill → acknowledged up to the kill point): ${recoveries
          .map((r) => `${r.what} ${(r.ms / 1000).toFixed(2)} s`)
          .join(', ')}`,
      );
    } finally {
      await writer.stop().catch(() => undefined);
      await writerConn.end();
      await worker.stop().catch(() => undefined);
      await deleteTopics(env, [topic, offsetsTopic]);
    }
  });
});
