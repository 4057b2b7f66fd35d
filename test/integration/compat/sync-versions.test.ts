import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncJob } from '../../../src/api/v1alpha1/syncjob-spec.ts';
import { Kafka, logLevel } from '../../../src/kafka/kafkajs.ts';
import { eventually } from '../../support/cli-process.ts';
import { expectConfiguredCompatBrokers, runningCompatBrokers } from '../../support/compat-brokers.ts';
import { materialize, type Row, sortedRows } from '../../support/materialize.ts';
import { type RunningWorker, rootConnection, startWorker, testJob } from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { inPartition, readAll, type TopicMessage } from '../../support/topic-reader.ts';

// The whole sync (initialization of existing rows, then the stream, with writes going on
// throughout) against every compat broker that runs: 0.10.2.2 in `make test`, 1.0.2 and 3.9.1 in
// `make test-compat`. A broker testenv is configured to start but that is not running fails the
// file (as in kafka-versions.test.ts). 0.10 has no transactions: delivery is at-least-once, so ids
// may repeat, but only as exact replays; every later version is exactly-once, ids 1..N.
const env = testEnv();
const running = runningCompatBrokers(env);
// Initialization reads the two tables side by side (parallelism 2): the small one is done while
// the large one is still being read, which is when the restart test stops the worker first.
const TABLES = { a: 20_000, b: 1000 } as const;
const TABLE_NAMES = Object.keys(TABLES) as (keyof typeof TABLES)[];
const CHUNK_SIZE = 100;
// The pipeline's largest batch (worker.ts BATCH_MAX_RECORDS): what at-least-once may replay.
const MAX_REPLAYED = 10_000;

/** target.version for a broker version. */
function targetVersion(version: string): string {
  if (version.startsWith('0.10.')) return '0.10';
  if (version.startsWith('1.0.')) return '1.0';
  return `${version.split('.')[0]}.x`;
}

/**
 * Drops repeated ids, keeping each id's first record (partition and offset order). Every repeat
 * must be an exact replay: same record, key and partition. Returns the survivors and the count.
 */
function dedupById(messages: TopicMessage[]): { unique: TopicMessage[]; repeated: number } {
  const first = new Map<string, TopicMessage>();
  const unique: TopicMessage[] = [];
  let repeated = 0;
  const partitions = [...new Set(messages.map((m) => m.partition))].sort((x, y) => x - y);
  for (const p of partitions) {
    for (const m of inPartition(messages, p)) {
      const id = String(m.record.id);
      const seen = first.get(id);
      if (seen === undefined) {
        first.set(id, m);
        unique.push(m);
        continue;
      }
      repeated++;
      expect({ partition: m.partition, key: m.key, record: m.record }, `record id ${id} repeated`).toEqual({
        partition: seen.partition,
        key: seen.key,
        record: seen.record,
      });
    }
  }
  return { unique, repeated };
}

const WRITER_STATEMENTS = 20_000;

describe('the whole sync on compat brokers', () => {
  it('runs every broker testenv is configured to start', () => {
    expectConfiguredCompatBrokers(env);
  });
});

for (const { version, brokers } of running) {
  const exactlyOnce = targetVersion(version) !== '0.10';

  describe(`sync to Kafka ${version} (target.version ${targetVersion(version)}, ${exactlyOnce ? 'exactly-once' : 'at-least-once'})`, () => {
    const kafka = new Kafka({ clientId: 'compat-sync-test', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const topics: string[] = [];
    let db: mysql.Connection;
    const database = uniqueName('compat_sync').replace('-', '_');

    beforeAll(async () => {
      await admin.connect();
      db = await rootConnection(env);
      await db.query(`CREATE DATABASE ${database}`);
    });

    afterAll(async () => {
      if (topics.length > 0) await admin.deleteTopics({ topics });
      await admin.disconnect();
      await db.query(`DROP DATABASE IF EXISTS ${database}`);
      await db.end();
    });

    /** Fresh tables with their initial rows, a topic on this broker and a job for them. */
    async function setUp(name: string): Promise<{ job: SyncJob; topic: string; tables: string[] }> {
      const tables = TABLE_NAMES.map((t) => `${database}.${name}_${t}`);
      for (const [i, t] of TABLE_NAMES.entries()) {
        await db.query(`CREATE TABLE ${tables[i]} (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))`);
        await db.query(
          `INSERT INTO ${tables[i]} SELECT seq, seq % 97, CONCAT('init-', seq) FROM ${database}.seq_1_to_${TABLES[t]}`,
        );
      }
      const topic = uniqueName(`compat-sync-${name}`);
      const offsets = uniqueName(`compat-sync-${name}-offsets`);
      await admin.createTopics({
        topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      // The worker creates its offsets topic; it is deleted with the rest.
      topics.push(topic, offsets);
      const job = testJob(env, uniqueName(`compat-${name}`), {
        topic,
        objects: [{ database, tables: TABLE_NAMES.map((t) => ({ name: `${name}_${t}` })) }],
        target: { brokers, version: targetVersion(version), partitioning: 'primaryKey' },
        offsets: { topic: offsets },
        initialization: { data: true, chunkSize: CHUNK_SIZE },
      });
      return { job, topic, tables };
    }

    /** Inserts, updates, deletes and replaces, single- and multi-row, until `stop()`. */
    function startWriter(conn: mysql.Connection, tables: string[]) {
      let stopped = false;
      let statements = 0;
      let nextId = Math.max(...Object.values(TABLES)) + 1;
      const loop = (async () => {
        // At most WRITER_STATEMENTS: the topic this test reads whole is bounded by count.
        for (let n = 0; !stopped && n < WRITER_STATEMENTS; n++) {
          const t = tables[n % tables.length]!;
          // Existing ids only (REPLACE must not take an id the next INSERT uses).
          const id = 1 + Math.floor(Math.random() * (nextId - 1));
          const r = Math.random();
          if (r < 0.3) {
            const rows = 1 + Math.floor(Math.random() * 4);
            const values = Array.from({ length: rows }, () => [nextId++, n % 1000, `i${n}`]);
            await conn.query(`INSERT INTO ${t} VALUES ?`, [values]);
          } else if (r < 0.6) {
            await conn.query(`UPDATE ${t} SET v = v + 1, note = 'u${n}' WHERE id BETWEEN ? AND ?`, [
              id,
              id + 2,
            ]);
          } else if (r < 0.85) {
            await conn.query(`DELETE FROM ${t} WHERE id BETWEEN ? AND ?`, [id, id + 1]);
          } else {
            await conn.query(`REPLACE INTO ${t} VALUES (?, ?, ?)`, [id, n, `r${n}`]);
          }
          statements++;
          // A steady stream rather than a flood.
          if (n % 10 === 0) await new Promise((r) => setTimeout(r, 5));
        }
      })();
      // A failed write surfaces in stop(), not as an unhandled rejection.
      loop.catch(() => undefined);
      return {
        statements: () => statements,
        async stop() {
          stopped = true;
          await loop;
        },
      };
    }

    async function initializationDone(worker: RunningWorker): Promise<void> {
      await eventually(
        () => worker.report.snapshot().initialization?.done === true,
        'initialization to finish',
        120_000,
      );
    }

    /** Waits until the worker acknowledged the source's binlog end (or past it: the binlog is shared). */
    async function caughtUp(worker: RunningWorker): Promise<void> {
      const [[row]] = await db.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
      const end = { file: String(row!.File), position: Number(row!.Position) };
      await eventually(
        () => {
          const p = worker.report.snapshot().position;
          return !!p && (p.file > end.file || (p.file === end.file && p.position >= end.position));
        },
        `the worker to catch up with the source (binlog end ${end.file}:${end.position})`,
        120_000,
      );
    }

    /**
     * The topic, read whole: each table materialized (after dropping repeated ids) equals SELECT *,
     * and the ids are exactly 1..N. Returns how many records were repeats.
     */
    async function expectEqualsSource(topic: string, tables: string[]): Promise<number> {
      const messages = await readAll(brokers, topic);
      const { unique, repeated } = dedupById(messages);
      const ids = unique.map((m) => Number(m.record.id)).sort((x, y) => x - y);
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
      // Initialization (resumed or not) copied each row at most once.
      const inits = unique
        .filter((m) => m.record.operation === 'INIT')
        .map((m) => `${m.record.objectName}:${m.key}`);
      expect(inits.length).toBeGreaterThan(0);
      expect(new Set(inits).size).toBe(inits.length);
      const materialized = materialize(unique, Object.fromEntries(tables.map((t) => [t, ['id']])));
      for (const t of tables) {
        const [rows] = await db.query<mysql.RowDataPacket[]>(`SELECT id, v, note FROM ${t}`);
        const source = new Map(
          rows.map((r): [string, Row] => [
            JSON.stringify([String(r.id)]),
            { id: String(r.id), v: String(r.v), note: r.note as string },
          ]),
        );
        expect(sortedRows(materialized.get(t)), t).toEqual(sortedRows(source));
      }
      return repeated;
    }

    it('initializes existing rows and streams concurrent changes: the topic equals the source', {
      timeout: 240_000,
    }, async () => {
      const { job, topic, tables } = await setUp('sync');
      const writerConn = await rootConnection(env);
      const writer = startWriter(writerConn, tables);
      let worker: RunningWorker | undefined;
      try {
        await new Promise((r) => setTimeout(r, 300));
        worker = await startWorker(env, job);
        await initializationDone(worker);
        // Keep writing a little after initialization, then stop and let the worker catch up.
        await new Promise((r) => setTimeout(r, 2000));
        await writer.stop();
        await caughtUp(worker);
        const repeated = await expectEqualsSource(topic, tables);
        if (exactlyOnce) expect(repeated).toBe(0);
        console.log(
          `Kafka ${version}: ${writer.statements()} concurrent statements; ${repeated} repeated record ids`,
        );
      } finally {
        await writer.stop().catch(() => undefined);
        await writerConn.end();
        await worker?.stop();
      }
    });

    it('resumes after a stop mid-initialization and another mid-stream: still equal to the source', {
      timeout: 300_000,
    }, async () => {
      const { job, topic, tables } = await setUp('restart');
      const writerConn = await rootConnection(env);
      const writer = startWriter(writerConn, tables);
      let worker: RunningWorker | undefined;
      try {
        // First stop: once the small table is initialized, while the large one is being read.
        worker = await startWorker(env, job);
        const deadline = Date.now() + 120_000;
        // Polled closely, so the stop comes soon after.
        while ((worker.report.snapshot().initialization?.tablesDone ?? 0) < 1) {
          if (Date.now() > deadline)
            throw new Error('timed out waiting for the small table to be initialized');
          await new Promise((r) => setTimeout(r, 10));
        }
        await worker.stop();
        const init = worker.report.snapshot().initialization;
        expect(init, 'the first stop lands mid-initialization').toMatchObject({ tablesDone: 1, done: false });
        worker = undefined;

        // A new worker of the same job resumes from the offset it left in Kafka.
        await new Promise((r) => setTimeout(r, 500));
        worker = await startWorker(env, job);
        await initializationDone(worker);
        // Second stop: while streaming the writer's changes.
        await new Promise((r) => setTimeout(r, 1500));
        await worker.stop();
        worker = undefined;

        await new Promise((r) => setTimeout(r, 500));
        worker = await startWorker(env, job);
        await new Promise((r) => setTimeout(r, 1500));
        await writer.stop();
        await caughtUp(worker);
        const repeated = await expectEqualsSource(topic, tables);
        if (exactlyOnce) expect(repeated).toBe(0);
        expect(repeated).toBeLessThanOrEqual(MAX_REPLAYED);
        console.log(
          `Kafka ${version}: stopped mid-initialization and mid-stream; ${writer.statements()} concurrent statements; ${repeated} repeated record ids after the restarts`,
        );
      } finally {
        await writer.stop().catch(() => undefined);
        await writerConn.end();
        await worker?.stop();
      }
    });
  });
}
