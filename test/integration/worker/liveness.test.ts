// A worker whose source connection goes silent (a TCP proxy that forwards nothing and closes
// nothing) or whose Kafka broker freezes (SIGSTOP) while the source keeps writing: within seconds
// /readyz fails, /report names the side and lag grows with wall time; once the fault ends every
// row arrives exactly once and lag returns to ~0. An idle, caught-up job keeps a lag of ~0.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { secretEnvName } from '../../../src/worker/secrets.ts';
import { eventually, startCli } from '../../support/cli-process.ts';
import { foldJobTopic } from '../../support/job-topic.ts';
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
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

const env = testEnv();
// Rows written while the fault lasts, one per transaction, spread over it: by count.
const ROWS_DURING_FAULT = 60;

describe('a stuck job says so', () => {
  let db: mysql.Connection;
  let proxy: TcpProxy;
  const database = uniqueName('liveness').replace('-', '_');
  const topics: string[] = [];

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    proxy = await startTcpProxy({ host: env.mysql.host, port: env.mysql.port });
  });

  afterAll(async () => {
    thaw();
    await proxy?.close();
    await deleteTopics(env, topics);
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  const kafkaPid = () => Number(readFileSync(env.kafka.pidFile, 'utf8').trim());
  let frozen = false;
  const freeze = () => {
    process.kill(kafkaPid(), 'SIGSTOP');
    frozen = true;
  };
  function thaw() {
    if (frozen) process.kill(kafkaPid(), 'SIGCONT');
    frozen = false;
  }

  /** A `syncjob run` of a table of its own, whose source is reached through the proxy. */
  async function startJob(name: string) {
    const table = name.replaceAll('-', '_');
    await db.query(`CREATE TABLE ${database}.${table} (id INT PRIMARY KEY, v INT NOT NULL)`);
    const topic = uniqueName(name);
    topics.push(topic);
    await createTopic(env, topic, 1);
    const port = 19400 + Math.floor(Math.random() * 500);
    const job = testJob(env, uniqueName(name), {
      topic,
      objects: [{ database, tables: [{ name: table }] }],
      source: { host: '127.0.0.1', port: proxy.port },
      offsets: { topic: uniqueName(`${name}-offsets`) },
      worker: { metricsPort: port },
    });
    topics.push(job.spec.offsets.topic);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'syncjob-liveness-')), 'job.yaml');
    writeFileSync(file, stringify(job));
    const worker = startCli(['run', '-f', file], { [secretEnvName(SYNC_SECRET)]: env.mysql.syncPassword });
    await untilReady(port);
    let nextId = 1;
    const insert = async (rows: number) => {
      for (let i = 0; i < rows; i++)
        await db.query(`INSERT INTO ${database}.${table} VALUES (?, ?)`, [nextId++, i]);
    };
    return {
      worker,
      port,
      insert,
      /** Writes ROWS_DURING_FAULT rows, one per transaction, over about `ms`. */
      async writeDuring(ms: number) {
        for (let i = 0; i < ROWS_DURING_FAULT; i++) {
          await insert(1);
          await new Promise((r) => setTimeout(r, ms / ROWS_DURING_FAULT));
        }
      },
      /** Every row the table holds is in the topic, once. */
      async expectExactlyOnce() {
        await untilCaughtUp(db, () => workerReport(port));
        const folded = await foldJobTopic(env, topic, [`${database}.${table}`]);
        const [[{ n }]] = (await db.query(`SELECT COUNT(*) AS n FROM ${database}.${table}`)) as unknown as [
          [{ n: number }],
        ];
        expect(folded.byOp.INSERT).toBe(nextId - 1);
        expect(folded.tables.get(`${database}.${table}`)?.size).toBe(Number(n));
        expect(folded.ids.size).toBe(folded.read);
      },
    };
  }

  const readyz = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, text: await res.text() };
  };
  /** A sample of the worker's /metrics: `name{…labels, job="…"} value`. */
  const metric = async (port: number, name: string, labels = '') => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(new RegExp(`^${name}\\{${labels}[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
  };
  it('keeps the lag of an idle, caught-up job near 0, and shows a silent source connection within 30 s', {
    timeout: 180_000,
  }, async () => {
    const { worker, port, insert, writeDuring, expectExactlyOnce } = await startJob('stall');
    try {
      await insert(20);
      await untilCaughtUp(db, () => workerReport(port));
      // Idle past the stall bound: heartbeats keep the lag near 0 though the last commit ages, and
      // keep the watchdog from taking a quiet source for a dead connection.
      await new Promise((r) => setTimeout(r, 12_000));
      const idle = (await workerReport(port)).lagSeconds;
      expect(idle).not.toBeNull();
      expect(idle!).toBeLessThan(4);
      expect(await metric(port, 'syncjob_stream_restarts_total')).toBe(0);

      proxy.stall(true);
      const stalledAt = Date.now();
      const writing = writeDuring(25_000);
      await eventually(
        async () => {
          const r = await workerReport(port);
          return (
            (r.lagSeconds ?? 0) >= 20 &&
            r.problems.some((p) => p.side === 'source') &&
            (await readyz(port)).status === 503
          );
        },
        'lag >= 20 s, a source problem and /readyz failing',
        30_000,
      );
      expect(Date.now() - stalledAt).toBeLessThan(31_000);
      const first = await workerReport(port);
      expect(first.problems[0]).toMatchObject({ side: 'source' });
      expect(first.problems[0]!.reason).toMatch(/^Source(Stalled|Unavailable)$/);
      expect((await readyz(port)).text).toMatch(/^Source(Stalled|Unavailable): /);
      await new Promise((r) => setTimeout(r, 2_000));
      // Still growing, and the metric says the same.
      expect((await workerReport(port)).lagSeconds!).toBeGreaterThan(first.lagSeconds! + 1);
      expect(await metric(port, 'syncjob_lag_seconds')).toBeGreaterThanOrEqual(20);
      expect(await metric(port, 'syncjob_unavailable', 'side="source",')).toBe(1);
      await writing;

      proxy.stall(false);
      await expectExactlyOnce();
      await eventually(async () => (await readyz(port)).status === 200, '/readyz to pass again', 60_000);
      await eventually(
        async () => ((await workerReport(port)).lagSeconds ?? 99) < 5,
        'the lag to return to ~0',
        30_000,
      );
      expect((await workerReport(port)).problems).toEqual([]);
      expect(await metric(port, 'syncjob_unavailable', 'side="source",')).toBe(0);
    } finally {
      proxy.stall(false);
      await worker.stop();
    }
  });

  it('names Kafka within 30 s of the broker freezing for 60 s, and loses or repeats nothing after', {
    timeout: 240_000,
  }, async () => {
    const { worker, port, insert, writeDuring, expectExactlyOnce } = await startJob('frozen-kafka');
    try {
      await insert(20);
      await untilCaughtUp(db, () => workerReport(port));
      freeze();
      const frozenAt = Date.now();
      const writing = writeDuring(50_000);
      await eventually(
        async () => {
          const r = await workerReport(port);
          return r.problems.some((p) => p.side === 'kafka') && (await readyz(port)).status === 503;
        },
        'a Kafka problem and /readyz failing',
        30_000,
      );
      const report = await workerReport(port);
      expect(report.problems.find((p) => p.side === 'kafka')?.reason).toBe('KafkaUnavailable');
      expect(report.lagSeconds!).toBeGreaterThan(5);
      expect(await metric(port, 'syncjob_unavailable', 'side="kafka",')).toBe(1);
      await writing;
      await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - frozenAt))));
      thaw();
      await expectExactlyOnce();
      await eventually(async () => (await readyz(port)).status === 200, '/readyz to pass again', 90_000);
    } finally {
      thaw();
      await worker.stop();
    }
  });
});
