// Streaming benchmark: rows/s and latency from source COMMIT to the record being readable by a
// Kafka consumer (read_committed), through a real worker, MariaDB and Kafka on this machine.
//   scripts/testenv.sh up && npx node bench/streaming.ts [--rows N] [--rate R] [--seconds S]
// Throughput: N rows in 1000-row transactions, written as fast as the source takes them.
// Latency: 1-row transactions at a fixed offered rate R for S seconds; p50/p99/max per row.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import { validateSyncJob } from '../src/api/v1alpha1/manifest.ts';
import { decodeRecord } from '../src/format/dts-avro/codec.ts';
import { valueText } from '../src/format/dts-avro/render.ts';
import type { DtsValue } from '../src/format/dts-avro/values.ts';
import { createRootLogger } from '../src/log.ts';
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

const env = Object.fromEntries(
  execFileSync(
    'bash',
    [new URL('../scripts/testenv.sh', import.meta.url).pathname, 'env', 'mariadb', 'kafka'],
    { encoding: 'utf8' },
  )
    .trim()
    .split('\n')
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
) as Record<string, string>;
const brokers = env.KAFKA_BROKERS!.split(',');
const suffix = randomBytes(3).toString('hex');
const database = `bench_${suffix}`;

const root = await mysql.createConnection({
  host: env.MYSQL_HOST,
  port: Number(env.MYSQL_PORT),
  user: 'root',
  multipleStatements: true,
});
const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();

/** Starts a worker on a fresh topic and table; returns the time each id became readable. */
async function scenario(
  name: string,
  write: (table: string) => Promise<Map<number, number>>,
  expected: number,
) {
  const topic = `bench-${name}-${suffix}`;
  const table = `${database}.${name}`;
  await root.query(
    `CREATE TABLE ${table} (id INT PRIMARY KEY, payload VARCHAR(64), amount DECIMAL(12,2), created DATETIME(6))`,
  );
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const job = validateSyncJob({
    apiVersion: 'syncjob.io/v1alpha1',
    kind: 'SyncJob',
    metadata: { name: `bench-${name}` },
    spec: {
      source: {
        type: 'mariadb',
        host: env.MYSQL_HOST,
        port: Number(env.MYSQL_PORT),
        username: env.MYSQL_SYNC_USER,
        passwordSecretRef: { name: 's', key: 'p' },
      },
      target: { brokers, topic, version: '4.x' },
      objects: [{ database, tables: [{ name }] }],
    },
  });
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
  const committed = await write(table);
  await allReceived;
  const elapsed = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  abort.abort();
  await worker;
  const latencies = [...committed].map(([id, at]) => received.get(id)! - at).sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return {
    rows: expected,
    seconds: elapsed,
    rowsPerSecond: Math.round(expected / elapsed),
    p50Ms: pct(50),
    p99Ms: pct(99),
    maxMs: latencies.at(-1)!,
  };
}

const payload = (id: number) => [
  id,
  `payload-${id}-${'x'.repeat(32)}`,
  (id / 100).toFixed(2),
  '2026-01-02 03:04:05.123456',
];

await root.query(`CREATE DATABASE ${database}`);
try {
  // Throughput: 1000-row transactions back to back; a row's commit time is its transaction's.
  const throughput = await scenario(
    'throughput',
    async (table) => {
      const committed = new Map<number, number>();
      for (let start = 1; start <= ROWS; start += 1000) {
        const rows = Array.from({ length: Math.min(1000, ROWS - start + 1) }, (_, i) => payload(start + i));
        await root.query(`INSERT INTO ${table} VALUES ?`, [rows]);
        const at = performance.now();
        for (const r of rows) committed.set(r[0] as number, at);
      }
      return committed;
    },
    ROWS,
  );

  // Latency: one-row transactions at a fixed offered rate, paced against the wall clock.
  const total = RATE * SECONDS;
  const latency = await scenario(
    'latency',
    async (table) => {
      const committed = new Map<number, number>();
      const pool = mysql.createPool({
        host: env.MYSQL_HOST,
        port: Number(env.MYSQL_PORT),
        user: 'root',
        connectionLimit: 8,
      });
      const begin = performance.now();
      const inflight: Promise<void>[] = [];
      for (let id = 1; id <= total; id++) {
        const due = begin + ((id - 1) * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        inflight.push(
          pool.query(`INSERT INTO ${table} VALUES (?)`, [payload(id)]).then(() => {
            committed.set(id, performance.now());
          }),
        );
        if (inflight.length >= 64) await inflight.shift();
      }
      await Promise.all(inflight);
      await pool.end();
      return committed;
    },
    total,
  );

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    JSON.stringify(
      {
        machine: `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
        throughput,
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
