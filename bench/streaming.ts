// Streaming benchmark through a real worker, MariaDB and Kafka on this machine.
//   scripts/testenv.sh up && npx node bench/streaming.ts [--rows N] [--rate R] [--seconds S]
// Catch-up throughput: N rows are committed in 1000-row transactions first, then a worker starts
// at the binlog position before them; rows/s until all are readable by a read_committed consumer.
// In the same run two ceilings, each with the worker's ratio to it: plain zongji reading the same
// range (no conversion, no encoding, no Kafka), and the Kafka sink alone sending as many records of
// the same size in the worker's batch shape.
// Latency: one-row transactions at a fixed offered rate R for S seconds; per row, from COMMIT
// returning to the record being readable; p50/p99/max.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import ZongJi from '@vlasky/zongji';
import mysql from 'mysql2/promise';
import { testenvEnv } from '../scripts/lib/testenv-env.ts';
import { validateSyncJob } from '../src/api/v1alpha1/manifest.ts';
import { decodeRecord } from '../src/format/dts-avro/codec.ts';
import { valueText } from '../src/format/dts-avro/render.ts';
import type { DtsValue } from '../src/format/dts-avro/values.ts';
import { Kafka, logLevel } from '../src/kafka/kafkajs.ts';
import { createRootLogger } from '../src/log.ts';
import { createKafkaSink } from '../src/sink/kafka/kafka-sink.ts';
import { createWorkerMetrics } from '../src/worker/metrics.ts';
import { createWorkerReport } from '../src/worker/report.ts';
import { createSecretResolver } from '../src/worker/secrets.ts';
import { runWorker } from '../src/worker/worker.ts';

const { values: flags } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '20' },
  },
});
const ROWS = Number(flags.rows);
const RATE = Number(flags.rate);
const SECONDS = Number(flags.seconds);

const env = testenvEnv(['mariadb', 'kafka']);
const mysqlAt = { host: env.MYSQL_HOST!, port: Number(env.MYSQL_PORT) };
const brokers = env.KAFKA_BROKERS!.split(',');
const suffix = randomBytes(3).toString('hex');
const database = `bench_${suffix}`;

const root = await mysql.createConnection({ ...mysqlAt, user: 'root', multipleStatements: true });
const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();

type Position = { file: string; position: number };

async function binlogEnd(): Promise<Position> {
  const [[status]] = await root.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
  return { file: status!.File as string, position: Number(status!.Position) };
}

const payload = (id: number) => [
  id,
  `payload-${id}-${'x'.repeat(32)}`,
  (id / 100).toFixed(2),
  '2026-01-02 03:04:05.123456',
];

async function createTable(name: string): Promise<string> {
  const table = `${database}.${name}`;
  await root.query(
    `CREATE TABLE ${table} (id INT PRIMARY KEY, payload VARCHAR(64), amount DECIMAL(12,2), created DATETIME(6))`,
  );
  return table;
}

/**
 * Runs a worker from `start` for table `name` until `expected` rows are readable; `during` writes
 * while it streams and returns each id's commit time. Returns rows/s and, with `during`, latencies.
 */
async function measure(
  name: string,
  start: Position,
  expected: number,
  during?: () => Promise<Map<number, number>>,
) {
  const topic = `bench-${name}-${suffix}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const job = validateSyncJob({
    apiVersion: 'syncjob.io/v1alpha1',
    kind: 'SyncJob',
    metadata: { name: `bench-${name}` },
    spec: {
      source: {
        type: 'mariadb',
        ...mysqlAt,
        username: env.MYSQL_SYNC_USER,
        passwordSecretRef: { name: 's', key: 'p' },
        startPosition: { mode: 'file', ...start },
      },
      target: { brokers, topic, version: '4.x' },
      objects: [{ database, tables: [{ name }] }],
      initialization: { data: false },
    },
  });
  const received = new Map<number, number>();
  const consumer = kafka.consumer({
    groupId: `bench-${name}-${suffix}`,
    readUncommitted: false,
    maxBytes: 64 << 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const allReceived = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const now = performance.now();
        for (const m of batch.messages) {
          const rec = decodeRecord(m.value!);
          received.set(Number(valueText((rec.afterImages as readonly DtsValue[])[0]!)), now);
        }
        if (received.size >= expected) resolve();
      },
    });
  });

  const t0 = performance.now();
  const abort = new AbortController();
  let streaming: () => void = () => undefined;
  const started = new Promise<void>((r) => {
    streaming = r;
  });
  const worker = runWorker({
    job,
    resolveSecret: createSecretResolver({
      dir: '/nonexistent',
      env: { SYNCJOB_SECRET_S_P: env.MYSQL_SYNC_PASSWORD },
    }),
    metrics: createWorkerMetrics({ job: name }),
    report: createWorkerReport(),
    logger: createRootLogger({ level: 'warn' }),
    signal: abort.signal,
    onStreaming: (s) => s && streaming(),
  });
  await started;
  const committed = (await during?.()) ?? new Map<number, number>();
  await allReceived;
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  abort.abort();
  await worker;
  const rate = {
    rows: expected,
    seconds: Number(seconds.toFixed(2)),
    rowsPerSecond: Math.round(expected / seconds),
  };
  if (committed.size === 0) return rate;
  const latencies = [...committed].map(([id, at]) => received.get(id)! - at).sort((a, b) => a - b);
  const pct = (p: number) =>
    Number(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1));
  return { ...rate, p50Ms: pct(50), p99Ms: pct(99), maxMs: pct(100) };
}

/** The ceiling: plain zongji reading `rows` inserted rows from `start`, doing nothing with them. */
async function zongjiCeiling(start: Position, name: string, rows: number) {
  const zongji = new ZongJi({ ...mysqlAt, user: env.MYSQL_SYNC_USER, password: env.MYSQL_SYNC_PASSWORD });
  let seen = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    zongji.on('error', reject);
    zongji.on('binlog', (e: { getEventName(): string; rows?: unknown[] }) => {
      if (e.getEventName() === 'writerows') seen += e.rows!.length;
      if (seen >= rows) resolve();
    });
    zongji.start({
      serverId: 77001,
      filename: start.file,
      position: start.position,
      includeEvents: ['tablemap', 'writerows'],
      includeSchema: { [database]: [name] },
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  zongji.stop();
  return { rows, seconds: Number(seconds.toFixed(2)), rowsPerSecond: Math.round(rows / seconds) };
}

/** The Kafka sink's own ceiling: `rows` records of `recordBytes` in batches of ~900 KiB, acks=all, idempotent. */
async function sinkCeiling(rows: number, recordBytes: number) {
  const topic = `bench-sink-${suffix}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const sink = createKafkaSink({
    client: { brokers, clientId: 'bench-sink', logger: createRootLogger({ level: 'warn' }) },
    acks: 'all',
    compression: 'none',
    idempotent: true,
  });
  await sink.connect();
  const perBatch = Math.floor((900 * 1024) / recordBytes);
  const value = Buffer.alloc(recordBytes - 24, 1);
  const t0 = performance.now();
  for (let sent = 0; sent < rows; sent += perBatch) {
    const n = Math.min(perBatch, rows - sent);
    await sink.write(
      Array.from({ length: n }, (_, i) => ({
        topic,
        partition: 0,
        key: Buffer.from(`bench.catchup:["${sent + i}"]`),
        value,
      })),
      null,
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  await sink.close();
  return { rows, seconds: Number(seconds.toFixed(2)), rowsPerSecond: Math.round(rows / seconds) };
}

await root.query(`CREATE DATABASE ${database}`);
try {
  const catchUpTable = await createTable('catchup');
  const catchUpStart = await binlogEnd();
  for (let first = 1; first <= ROWS; first += 1000) {
    const rows = Array.from({ length: Math.min(1000, ROWS - first + 1) }, (_, i) => payload(first + i));
    await root.query(`INSERT INTO ${catchUpTable} VALUES ?`, [rows]);
  }
  const catchUp = await measure('catchup', catchUpStart, ROWS);
  const zongjiOnly = await zongjiCeiling(catchUpStart, 'catchup', ROWS);
  // The worker's records of this table are ~170 bytes (DTS header, 4 fields, images) plus the key.
  const sinkOnly = await sinkCeiling(ROWS, 170);

  const latencyTable = await createTable('latency');
  const total = RATE * SECONDS;
  const latency = await measure('latency', await binlogEnd(), total, async () => {
    const committed = new Map<number, number>();
    const pool = mysql.createPool({ ...mysqlAt, user: 'root', connectionLimit: 8 });
    const begin = performance.now();
    const inflight: Promise<void>[] = [];
    for (let id = 1; id <= total; id++) {
      const wait = begin + ((id - 1) * 1000) / RATE - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inflight.push(
        pool.query(`INSERT INTO ${latencyTable} VALUES (?)`, [payload(id)]).then(() => {
          committed.set(id, performance.now());
        }),
      );
      if (inflight.length >= 64) await inflight.shift();
    }
    await Promise.all(inflight);
    await pool.end();
    return committed;
  });

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    JSON.stringify(
      {
        machine: `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
        catchUp,
        zongjiOnly,
        workerToZongji: Number((catchUp.rowsPerSecond / zongjiOnly.rowsPerSecond).toFixed(2)),
        kafkaSinkOnly: sinkOnly,
        workerToKafkaSink: Number((catchUp.rowsPerSecond / sinkOnly.rowsPerSecond).toFixed(2)),
        latency: { offeredRowsPerSecond: RATE, ...latency },
      },
      null,
      2,
    ),
  );
} finally {
  await root.query(`DROP DATABASE IF EXISTS ${database}`);
  await root.end();
  await admin.disconnect();
}
