// Initialization (full-data snapshot) benchmark through a real worker, MariaDB and Kafka on this machine.
//   scripts/testenv.sh up && npx node bench/initialization.ts [--rows N] [--chunk-size C] [--parallelism P]
// One table of N rows (BIGINT key, VARCHAR, DECIMAL, DATETIME(6), TINYINT), loaded with the
// sequence engine and binlog off (the worker starts at the binlog end, after the load). In the
// same run, ceilings to compare the worker with:
//  - plainSelect: `SELECT *` streamed through mysql2 with its default options, rows discarded;
//  - convertedSelect: the same SELECT the way the snapshot reads (snapshot session, raw cells) with
//    snapshotConverter applied per cell;
//  - chunkedEncoded: the worker's read path without Kafka: createChunkReader chunks of C rows, then
//    what a snapshot thread encodes of them and each row's INIT record (split into read and
//    encode seconds).
// Then the worker: a SyncJob with initialization data true on a fresh 1-partition topic, timed from
// runWorker until the report says initialization is done and a read_committed consumer (a child
// process, so it takes no time from the worker's event loop) has received N records. CPU seconds of
// the worker process, the consumer, MariaDB and Kafka during that phase show where the time goes.
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import mysqlCore from 'mysql2';
import mysql from 'mysql2/promise';
import { testenvEnv } from '../scripts/lib/testenv-env.ts';
import { validateSyncJob } from '../src/api/v1alpha1/manifest.ts';
import { decodeRecord } from '../src/format/dts-avro/codec.ts';
import { dtsAvroFormat } from '../src/format/dts-avro/format.ts';
import { Kafka, logLevel } from '../src/kafka/kafkajs.ts';
import { createRootLogger } from '../src/log.ts';
import { loadTableSchema } from '../src/source/mysql/load-table-schema.ts';
import {
  SNAPSHOT_QUERY_OPTIONS,
  SNAPSHOT_SESSION_SQL,
  snapshotSelectList,
} from '../src/source/mysql/snapshot-query.ts';
import { snapshotConverter } from '../src/source/mysql/value-converters.ts';
import type { ChunkCursor } from '../src/source/snapshot/chunk-plan.ts';
import { createChunkReader } from '../src/source/snapshot/chunk-reader.ts';
import { createWorkerMetrics } from '../src/worker/metrics.ts';
import { createWorkerReport } from '../src/worker/report.ts';
import { createSecretResolver } from '../src/worker/secrets.ts';
import { bytesAt, chunkEncoding, encodeChunk } from '../src/worker/snapshot-encoding.ts';
import { runWorker } from '../src/worker/worker.ts';

const { values: flags } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'chunk-size': { type: 'string', default: '10000' },
    parallelism: { type: 'string', default: '1' },
    // Internal: run as the consumer child process.
    consume: { type: 'string' },
    brokers: { type: 'string' },
  },
});
const ROWS = Number(flags.rows);
const CHUNK_SIZE = Number(flags['chunk-size']);
const PARALLELISM = Number(flags.parallelism);
const LOAD_SLICE = 200_000;
const now = () => performance.timeOrigin + performance.now();
const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const rate = (rows: number, seconds: number) => ({
  rows,
  seconds: round(seconds),
  rowsPerSecond: Math.round(rows / seconds),
});

type ConsumerMessage =
  | { type: 'joined' }
  | { type: 'received'; count: number; at: number; lastKey: string | null; sampledNotInit: number }
  | { type: 'final'; count: number };

/**
 * The consumer child: reads `topic` read_committed from the beginning, counts messages and decodes
 * the last one of each batch (all must be INIT); reports when `rows` arrived, then for 2 s more
 * what arrives after (a duplicate would show as a final count above `rows`).
 */
async function consume(topic: string, brokers: string[], rows: number): Promise<void> {
  const send = (m: ConsumerMessage) => process.send!(m);
  const kafka = new Kafka({ clientId: 'bench-init-consumer', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `bench-init-${randomBytes(4).toString('hex')}`,
    readUncommitted: false,
    maxBytes: 64 << 20,
    maxBytesPerPartition: 16 << 20,
  });
  consumer.on(consumer.events.GROUP_JOIN, () => send({ type: 'joined' }));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let sampledNotInit = 0;
  let lastKey: string | null = null;
  let reported = false;
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      count += batch.messages.length;
      const last = batch.messages.at(-1);
      if (last) {
        if (decodeRecord(last.value!).operation !== 'INIT') sampledNotInit++;
        lastKey = last.key?.toString() ?? null;
      }
      if (!reported && count >= rows) {
        reported = true;
        send({ type: 'received', count, at: now(), lastKey, sampledNotInit });
        setTimeout(() => {
          send({ type: 'final', count });
          void consumer.disconnect().then(() => process.exit(0));
        }, 2000);
      }
    },
  });
}

if (flags.consume !== undefined) {
  await consume(flags.consume, flags.brokers!.split(','), ROWS);
} else {
  await main();
}

/** CPU seconds (user + system) so far of a process, from /proc; null where unavailable. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name and state.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The first process whose command line contains `needle` (MariaDB and the Kafka broker under test). */
function findPid(needle: string): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(needle))
          return Number(entry);
      } catch {}
    }
  } catch {}
  return undefined;
}

async function main(): Promise<void> {
  const env = testenvEnv(['mariadb', 'kafka']);
  const mysqlAt = { host: env.MYSQL_HOST!, port: Number(env.MYSQL_PORT) };
  const syncUser = { ...mysqlAt, user: env.MYSQL_SYNC_USER!, password: env.MYSQL_SYNC_PASSWORD! };
  const brokers = env.KAFKA_BROKERS!.split(',');
  const suffix = randomBytes(3).toString('hex');
  const database = `bench_init_${suffix}`;
  const name = 'items';
  const table = `${database}.${name}`;
  const topic = `bench-init-${suffix}`;

  const root = await mysql.createConnection({ ...mysqlAt, user: 'root' });
  const kafka = new Kafka({ clientId: 'bench-init', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let consumerChild: ChildProcess | undefined;

  try {
    await root.query(`CREATE DATABASE ${database}`);
    await root.query(
      `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, payload VARCHAR(64), amount DECIMAL(12,2), created DATETIME(6), flag TINYINT)`,
    );
    // 1. Load, without writing the rows to the binlog: the worker starts after them anyway.
    const loadStart = now();
    await root.query('SET SESSION sql_log_bin = 0');
    for (let first = 1; first <= ROWS; first += LOAD_SLICE) {
      const last = Math.min(ROWS, first + LOAD_SLICE - 1);
      await root.query(
        `INSERT INTO ${table} SELECT seq, CONCAT('payload-', seq, '-', REPEAT('x', 32)), seq / 100,
           TIMESTAMP'2026-01-02 03:04:05.123456' + INTERVAL seq SECOND, seq % 2
         FROM ${database}.seq_${first}_to_${last}`,
      );
    }
    await root.query('SET SESSION sql_log_bin = 1');
    const loadSeconds = (now() - loadStart) / 1000;

    // 2a. Plain SELECT through mysql2, default options (row objects, values converted by mysql2).
    const plainSelect = await (async () => {
      const conn = mysqlCore.createConnection(syncUser);
      let n = 0;
      const t0 = now();
      await new Promise<void>((resolve, reject) => {
        conn
          .query(`SELECT * FROM ${table}`)
          .on('result', () => {
            n++;
          })
          .on('error', reject)
          .on('end', () => resolve());
      });
      const seconds = (now() - t0) / 1000;
      await conn.promise().end();
      if (n !== ROWS) throw new Error(`plain SELECT returned ${n} rows, expected ${ROWS}`);
      return rate(n, seconds);
    })();

    // 2b. The snapshot's way of reading (session, raw cells as arrays) plus snapshotConverter per cell.
    const convertedSelect = await (async () => {
      const conn = mysqlCore.createConnection(syncUser);
      const promiseConn = conn.promise();
      await promiseConn.query(SNAPSHOT_SESSION_SQL);
      const schema = await loadTableSchema(promiseConn, database, name);
      const converters = schema.columns.map(snapshotConverter);
      const sql = `SELECT ${snapshotSelectList(schema.columns)} FROM ${table}`;
      let n = 0;
      let nulls = 0;
      const t0 = now();
      await new Promise<void>((resolve, reject) => {
        conn
          .query({ sql, ...SNAPSHOT_QUERY_OPTIONS })
          .on('result', (row) => {
            const cells = row as unknown as unknown[];
            for (let i = 0; i < converters.length; i++) if (converters[i]!(cells[i]) === null) nulls++;
            n++;
          })
          .on('error', reject)
          .on('end', () => resolve());
      });
      const seconds = (now() - t0) / 1000;
      await promiseConn.end();
      if (n !== ROWS || nulls !== 0) throw new Error(`converted SELECT: ${n} rows, ${nulls} NULL cells`);
      return rate(n, seconds);
    })();

    // 2c. The worker's read path without Kafka: chunks, then what a snapshot thread encodes of
    // them and the INIT record the pipeline puts around each row.
    const chunkedEncoded = await (async () => {
      const conn = await mysql.createConnection(syncUser);
      await conn.query(SNAPSHOT_SESSION_SQL);
      const schema = await loadTableSchema(conn, database, name);
      const reader = await createChunkReader(conn, schema);
      const objectName = table;
      const how = chunkEncoding(schema, reader.keyIndexes, {
        format: 'dts-avro',
        objectName,
        partitioning: 'primaryKey',
        partitions: 1,
      });
      const encoder = dtsAvroFormat('10.11').table(schema, { database, table: name, objectName });
      const position = { file: 'binlog.000001', offset: 4, gtid: '0-1-1', timestamp: 0 };
      let cursor: ChunkCursor | null = null;
      let n = 0;
      let bytes = 0;
      let readSeconds = 0;
      let encodeSeconds = 0;
      do {
        const t0 = now();
        const chunk = await reader.readChunk(cursor, CHUNK_SIZE);
        const t1 = now();
        const encoded = encodeChunk(how, chunk, position);
        const initRecord = encoder.snapshotRows(position);
        for (let row = 0; row < encoded.count; row++) {
          const value = initRecord(++n, bytesAt(encoded.images, row));
          bytes += value.length + bytesAt(encoded.keys!, row).length;
        }
        readSeconds += (t1 - t0) / 1000;
        encodeSeconds += (now() - t1) / 1000;
        cursor = chunk.last;
      } while (cursor !== null);
      await conn.end();
      if (n !== ROWS) throw new Error(`chunked read returned ${n} rows, expected ${ROWS}`);
      return {
        ...rate(n, readSeconds + encodeSeconds),
        readSeconds: round(readSeconds),
        encodeSeconds: round(encodeSeconds),
        bytesPerRecord: Math.round(bytes / n),
      };
    })();

    // 3. The worker.
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const child = fork(
      new URL(import.meta.url).pathname,
      ['--consume', topic, '--brokers', brokers.join(','), '--rows', String(ROWS)],
      { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    consumerChild = child;
    const messages: ConsumerMessage[] = [];
    const waitFor = <T extends ConsumerMessage['type']>(type: T) =>
      new Promise<Extract<ConsumerMessage, { type: T }>>((resolve, reject) => {
        const seen = messages.find((m) => m.type === type);
        if (seen) return resolve(seen as Extract<ConsumerMessage, { type: T }>);
        const onMessage = (m: ConsumerMessage) => {
          if (m.type !== type) return;
          child.off('message', onMessage);
          resolve(m as Extract<ConsumerMessage, { type: T }>);
        };
        child.on('message', onMessage);
        child.once('exit', (code) => reject(new Error(`consumer exited (${code}) before ${type}`)));
      });
    child.on('message', (m: ConsumerMessage) => messages.push(m));
    await waitFor('joined');

    const job = validateSyncJob({
      apiVersion: 'syncjob.io/v1alpha1',
      kind: 'SyncJob',
      metadata: { name: `bench-init-${suffix}` },
      spec: {
        source: {
          type: 'mariadb',
          ...mysqlAt,
          username: env.MYSQL_SYNC_USER,
          passwordSecretRef: { name: 's', key: 'p' },
        },
        target: { brokers, topic, version: '4.x' },
        objects: [{ database, tables: [{ name }] }],
        initialization: { data: true, chunkSize: CHUNK_SIZE, parallelism: PARALLELISM },
      },
    });
    const report = createWorkerReport();
    const metrics = createWorkerMetrics(
      { job: 'bench-init' },
      { lagSeconds: () => null, problems: () => [] },
    );
    const pids = {
      worker: process.pid,
      consumer: child.pid,
      mariadb: findPid(`--port=${mysqlAt.port}`),
      kafka: findPid('/run/kafka/log4j'),
    };
    const cpuAt = () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const cpuBefore = cpuAt();
    const eluBefore = performance.eventLoopUtilization();
    let peakRssMiB = 0;
    let peakQueueMiB = 0;
    let initDoneAt = 0;
    const abort = new AbortController();
    const t0 = now();
    const worker = runWorker({
      job,
      resolveSecret: createSecretResolver({
        dir: '/nonexistent',
        env: { SYNCJOB_SECRET_S_P: env.MYSQL_SYNC_PASSWORD },
      }),
      metrics,
      report,
      logger: createRootLogger({ level: 'warn' }),
      signal: abort.signal,
    });
    const failed = worker.then(() => {
      throw new Error('the worker stopped before the records arrived');
    });
    failed.catch(() => undefined);
    const sampler = setInterval(() => {
      peakRssMiB = Math.max(peakRssMiB, process.memoryUsage.rss() / 2 ** 20);
      void metrics.queueBytes.get().then((g) => {
        peakQueueMiB = Math.max(peakQueueMiB, (g.values[0]?.value ?? 0) / 2 ** 20);
      });
      if (!initDoneAt && report.snapshot().initialization?.done) initDoneAt = now();
    }, 100);
    const received = await Promise.race([waitFor('received'), failed]);
    const receivedAt = received.at;
    while (!report.snapshot().initialization?.done) await new Promise((r) => setTimeout(r, 10));
    if (!initDoneAt) initDoneAt = now();
    clearInterval(sampler);
    const cpuAfter = cpuAt();
    const elu = performance.eventLoopUtilization(eluBefore);
    const seconds = (Math.max(receivedAt, initDoneAt) - t0) / 1000;
    const final = await waitFor('final');
    abort.abort();
    await worker;

    const cpuSecondsDuring = Object.fromEntries(
      Object.keys(pids).map((k) => {
        const a = cpuBefore[k];
        const b = cpuAfter[k];
        return [k, a == null || b == null ? null : round(b - a, 1)];
      }),
    );
    const workerResult = {
      ...rate(ROWS, seconds),
      initializationDoneSeconds: round((initDoneAt - t0) / 1000),
      allReadableSeconds: round((receivedAt - t0) / 1000),
      chunkSize: CHUNK_SIZE,
      parallelism: PARALLELISM,
      recordsReceived: final.count,
      lastKey: received.lastKey,
      sampledRecordsNotInit: received.sampledNotInit,
      peakRssMiB: Math.round(peakRssMiB),
      peakQueueMiB: round(peakQueueMiB, 1),
      workerEventLoopUtilization: round(elu.utilization),
      cpuSecondsDuring,
    };

    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    console.log(
      JSON.stringify(
        {
          machine: {
            cpus: os.cpus().length,
            model: cpu,
            memoryGiB: Math.round(os.totalmem() / 2 ** 30),
            node: process.version,
          },
          rows: ROWS,
          loadSeconds: round(loadSeconds),
          plainSelect,
          convertedSelect,
          chunkedEncoded,
          worker: workerResult,
          workerToPlainSelect: round(workerResult.rowsPerSecond / plainSelect.rowsPerSecond),
          workerToConvertedSelect: round(workerResult.rowsPerSecond / convertedSelect.rowsPerSecond),
          workerToChunkedEncoded: round(workerResult.rowsPerSecond / chunkedEncoded.rowsPerSecond),
        },
        null,
        2,
      ),
    );
  } finally {
    if (consumerChild && consumerChild.exitCode === null) consumerChild.kill();
    await root.query(`DROP DATABASE IF EXISTS ${database}`);
    await root.end();
    const existing = await admin.listTopics();
    if (existing.includes(topic)) await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  }
}
