// Streaming benchmark: syncjob against Debezium, each in a process of its own, into the same Kafka
// from the same MariaDB (or, with --source mysql, the same MySQL, against Debezium's MySQL
// connector) on this machine; runs alternate between the tools.
//   scripts/testenv.sh up && npx node bench/streaming.ts [--source mariadb|mysql] [--runs 3] [--tools syncjob,debezium]
//     [--rows 200000] [--seconds 20] [--init-rows 1000000] [--chart docs/streaming-bench.svg]
//     [--scenarios initialization,catch-up,latency] [--before-root DIR --tools syncjob,before]
//     [--tools syncjob,syncjob_at_least_once,debezium]
// Per run and tool, four scenarios, each with a fresh topic and tool process (and but for the
// first, a fresh table):
//  - initialization: a new job on a table of M rows (loaded once, not in the binlog) snapshots it;
//    rows/s from the first record to the last one readable, and from the tool's start, timed by the
//    topic's last stable offset (polled; the records are read and checked once the tool is idle);
//  - catch-up: N rows in 1000-row transactions are written while the tool does not read, then it
//    reads them; rows/s from the first record to the last one readable by a read_committed consumer;
//  - latency at 2,000 one-row transactions/s, and at 10,000 rows/s in 1–10-row transactions, for S
//    seconds: per row, from its COMMIT returning to its record being readable; p50/p99/max over the
//    rows after the first 3 s (warm-up, for the JVM's sake).
// Each scenario also gives the tool's CPU seconds and peak RSS (from /proc); initialization also what
// MariaDB, Kafka and the bench's consumer spent meanwhile, and latency the tool's own share (from
// the COMMIT to the record's CreateTime, when the tool handed it to its client). Medians over the runs
// and syncjob/Debezium ratios are printed last; --chart draws them.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { testenvEnv } from '../scripts/lib/testenv-env.ts';
import { Kafka, logLevel } from '../src/kafka/kafkajs.ts';
import { binlogEnd } from '../src/source/mysql/binlog-end.ts';
import { readFlavor } from '../src/source/mysql/flavor.ts';
import { seqRows } from '../test/support/seq-rows.ts';
import { drawChart } from './lib/chart.ts';
import { debeziumTool } from './lib/debezium-tool.ts';
import { type ProcessStats, sharedCpuSeconds } from './lib/process-stats.ts';
import { syncjobTool } from './lib/syncjob-tool.ts';
import type { BenchEnv, Position, StreamingTool } from './lib/tool.ts';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    tools: { type: 'string', default: 'syncjob,debezium' },
    rows: { type: 'string', default: '200000' },
    seconds: { type: 'string', default: '20' },
    'init-rows': { type: 'string', default: '1000000' },
    scenarios: { type: 'string', default: 'initialization,catch-up,latency' },
    // Another checkout (with node_modules) whose syncjob runs as the tool `before`.
    'before-root': { type: 'string' },
    chart: { type: 'string' },
    source: { type: 'string', default: 'mariadb' },
  },
});
if (flags.source !== 'mariadb' && flags.source !== 'mysql')
  throw new Error(`unknown source ${flags.source} (mariadb, mysql)`);
const SOURCE = flags.source;
const RUNS = Number(flags.runs);
const ROWS = Number(flags.rows);
const SECONDS = Number(flags.seconds);
const INIT_ROWS = Number(flags['init-rows']);
const SCENARIOS = new Set(flags.scenarios.split(','));
for (const s of SCENARIOS)
  if (!['initialization', 'catch-up', 'latency'].includes(s))
    throw new Error(`unknown scenario ${s} (initialization, catch-up, latency)`);
const WARM_UP_MS = 3000;

const env = testenvEnv([SOURCE, 'kafka']);
// testenv's names: MYSQL_* is the MariaDB, ORACLE_MYSQL_* the MySQL.
const at = (key: string) => env[`${SOURCE === 'mysql' ? 'ORACLE_' : ''}MYSQL_${key}`]!;
const mysqlAt = { host: at('HOST'), port: Number(at('PORT')) };
const brokers = env.KAFKA_BROKERS!.split(',');
const suffix = randomBytes(3).toString('hex');
const database = `bench_${suffix}`;

const root = await mysql.createConnection({ ...mysqlAt, user: 'root', multipleStatements: true });
const pool = mysql.createPool({ ...mysqlAt, user: 'root', connectionLimit: 8 });
const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();

const flavor = await readFlavor(root);
const benchEnv: BenchEnv = {
  source: SOURCE,
  mysql: { ...mysqlAt, syncUser: at('SYNC_USER'), syncPassword: at('SYNC_PASSWORD') },
  brokers,
  async binlogEnd(): Promise<Position> {
    const { file, offset } = await binlogEnd(root, flavor);
    return { file, position: offset };
  },
};
const tools: StreamingTool[] = flags.tools.split(',').map((name) => {
  if (name === 'syncjob') return syncjobTool(benchEnv);
  // Without Kafka transactions, as Debezium writes here (target.delivery: atLeastOnce).
  if (name === 'syncjob_at_least_once') return { ...syncjobTool(benchEnv, undefined, 'atLeastOnce'), name };
  if (name === 'debezium') return debeziumTool(benchEnv);
  if (name === 'before' && flags['before-root'])
    return { ...syncjobTool(benchEnv, flags['before-root']), name };
  throw new Error(
    `unknown tool ${name} (syncjob, syncjob_at_least_once, debezium, before with --before-root)`,
  );
});

const payload = (id: number) => [
  id,
  `payload-${id}-${'x'.repeat(32)}`,
  (id / 100).toFixed(2),
  '2026-01-02 03:04:05.123456',
];
const round = (n: number, digits = 1) => Number(n.toFixed(digits));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads a topic from the beginning and notes when each row id's record arrived (ids 0..maxId; only the times are kept). */
async function watch(topic: string, maxId: number, idOf: StreamingTool['idOf']) {
  const arrived = new Float64Array(maxId + 1);
  // When the tool handed each record to its Kafka client (the record's CreateTime), on the same
  // clock as `arrived`: splits a latency into the tool's part and Kafka's (commit and fetch).
  const produced = new Float64Array(maxId + 1);
  let count = 0;
  let first = 0;
  let last = 0;
  // Offsets of the first row record and of the one that brought the last new id.
  let firstOffset = -1;
  let lastOffset = -1;
  const waiters: { id: number; resolve: () => void }[] = [];
  const consumer = kafka.consumer({ groupId: `bench-${topic}`, readUncommitted: false, maxBytes: 64 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  void consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        // Keyless records (DDL) are not rows of the table: not counted.
        const id = idOf(m.key);
        if (id === null || id < 0 || id > maxId || arrived[id]! > 0) continue;
        arrived[id] = now;
        produced[id] = Number(m.timestamp) - performance.timeOrigin;
        if (id > 0) {
          count++;
          if (first === 0) {
            first = now;
            firstOffset = Number(m.offset);
          }
          last = now;
          lastOffset = Number(m.offset);
        }
      }
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (arrived[waiters[i]!.id]! > 0) waiters.splice(i, 1)[0]!.resolve();
      }
    },
  });
  return {
    arrived,
    produced,
    count: () => count,
    span: () => (last - first) / 1000,
    offsets: () => ({ first: firstOffset, last: lastOffset }),
    until: (id: number) =>
      arrived[id]! > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ id, resolve })),
    stop: () => consumer.disconnect(),
  };
}

async function untilCount(w: { count: () => number }, expected: number, what: string) {
  const deadline = Date.now() + 600_000;
  while (w.count() < expected) {
    if (Date.now() > deadline) throw new Error(`${what}: only ${w.count()} of ${expected} records arrived`);
    await sleep(20);
  }
}

async function createTable(name: string): Promise<string> {
  const table = `${database}.${name}`;
  await root.query(
    `CREATE TABLE ${table} (id INT PRIMARY KEY, payload VARCHAR(64), amount DECIMAL(12,2), created DATETIME(6))`,
  );
  return table;
}

async function createTopic(topic: string) {
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
}

/**
 * A sentinel row (id 0) written until its record arrives: then the tool is streaming. Rewritten
 * every 500 ms, since a tool may take its starting position only after it reports running.
 */
async function sentinel(table: string, w: Awaited<ReturnType<typeof watch>>) {
  const arrived = w.until(0);
  let done = false;
  void arrived.then(() => {
    done = true;
  });
  for (let i = 0; !done; i++) {
    if (i > 240) throw new Error(`the sentinel row of ${table} never arrived`);
    await root.query(`REPLACE INTO ${table} VALUES (?)`, [
      [0, `sentinel-${i}`, '0.00', '2026-01-02 03:04:05'],
    ]);
    await Promise.race([arrived, sleep(500)]);
  }
}

async function catchUp(tool: StreamingTool, run: string) {
  const table = await createTable(`catchup_${tool.name}_${run}`);
  const topic = tool.topicFor(run, table);
  await createTopic(topic);
  const w = await watch(topic, ROWS, tool.idOf);
  const running = await tool.catchUp(table, topic, {
    sentinel: () => sentinel(table, w),
    write: async () => {
      for (let first = 1; first <= ROWS; first += 1000) {
        const rows = Array.from({ length: Math.min(1000, ROWS - first + 1) }, (_, i) => payload(first + i));
        await root.query(`INSERT INTO ${table} VALUES ?`, [rows]);
      }
    },
  });
  await untilCount(w, ROWS, `${tool.name} catch-up`);
  const stats = await running.stop();
  await w.stop();
  return { rowsPerSecond: Math.round((ROWS - 1) / w.span()), ...cost(stats) };
}

/** The table every initialization run snapshots: INIT_ROWS rows, loaded once without the binlog. */
async function initTable(): Promise<string> {
  const table = await createTable('initialization');
  const slice = 200_000;
  await root.query('SET SESSION sql_log_bin = 0');
  for (let first = 1; first <= INIT_ROWS; first += slice) {
    const last = Math.min(INIT_ROWS, first + slice - 1);
    await root.query(
      `INSERT INTO ${table} SELECT id, CONCAT('payload-', id, '-', REPEAT('x', 32)), id / 100,
         TIMESTAMP'2026-01-02 03:04:05.123456'
       FROM (SELECT seq + ${first - 1} AS id FROM ${seqRows(last - first + 1)}) AS ids`,
    );
  }
  await root.query('SET SESSION sql_log_bin = 1');
  return table;
}

/**
 * The topic's last stable offset (what a read_committed consumer can read up to), polled every
 * 20 ms: when it changed, on the bench's clock. Cheap for the cores the tool shares, unlike a
 * consumer decoding a million records while the tool writes them.
 */
function stableOffsets(topic: string) {
  const history: { at: number; offset: number }[] = [];
  let stopped = false;
  const polled = (async () => {
    while (!stopped) {
      const [p] = await admin.fetchTopicOffsets(topic);
      const offset = Number(p!.offset);
      if (offset !== history.at(-1)?.offset) history.push({ at: performance.now(), offset });
      await sleep(20);
    }
  })();
  const quietFor = (ms: number) => {
    const lastChange = history.at(-1);
    return lastChange !== undefined && lastChange.offset > 0 && performance.now() - lastChange.at > ms;
  };
  return {
    /** When records up to `offset` (inclusive) first were readable; null if not yet seen. */
    readableAt: (offset: number) => history.find((h) => h.offset > offset)?.at ?? null,
    quietFor,
    stop: async () => {
      stopped = true;
      await polled;
    },
  };
}

/**
 * The tool snapshots the table into a new topic. Timed by the topic's last stable offset; once it
 * has not moved for a second, the bench reads the topic from the beginning (the tool idle by
 * then) to check that every row arrived and to find the offsets of the first and the last one.
 */
async function initialization(tool: StreamingTool, run: string, table: string) {
  // Every tool snapshots the same table: the tool's name keeps their topics (and jobs) apart.
  const topic = tool.topicFor(`${run}-${tool.name}`, table);
  await createTopic(topic);
  const lso = stableOffsets(topic);
  const started = performance.now();
  const shared = sharedCpuSeconds(SOURCE);
  const running = await tool.initialize(table, topic);
  const deadline = Date.now() + 600_000;
  while (!lso.quietFor(1000)) {
    if (Date.now() > deadline)
      throw new Error(`${tool.name} initialization: the topic never stood still for a second`);
    await sleep(50);
  }
  const sharedAfter = sharedCpuSeconds(SOURCE);
  const w = await watch(topic, INIT_ROWS, tool.idOf);
  await untilCount(w, INIT_ROWS, `${tool.name} initialization`);
  const { first, last } = w.offsets();
  let lastAt = lso.readableAt(last);
  while (lastAt === null) {
    await sleep(20);
    lastAt = lso.readableAt(last);
  }
  const firstAt = lso.readableAt(first)!;
  await lso.stop();
  const stats = await running.stop();
  await w.stop();
  return {
    rowsPerSecond: Math.round((INIT_ROWS - 1) / ((lastAt - firstAt) / 1000)),
    fromStartRowsPerSecond: Math.round(INIT_ROWS / ((lastAt - started) / 1000)),
    ...cost(stats),
    // What the rest of the machine spent meanwhile: the source and Kafka, and the bench (its offset poll).
    servicesCpuSeconds: round(sharedAfter.services - shared.services),
    benchCpuSeconds: round(sharedAfter.bench - shared.bench),
  };
}

const cost = (s: ProcessStats) => ({ cpuSeconds: round(s.cpuSeconds), peakRssMiB: s.peakRssMiB });

/** Offers `rowsPerSecond` in transactions of `rowsPerTx()` rows for SECONDS; latencies per row. */
async function latency(tool: StreamingTool, run: string, rowsPerSecond: number, rowsPerTx: () => number) {
  const table = await createTable(`latency${rowsPerSecond}_${tool.name}_${run}`);
  const topic = tool.topicFor(run, table);
  await createTopic(topic);
  const total = rowsPerSecond * SECONDS;
  const w = await watch(topic, total, tool.idOf);
  const running = await tool.stream(table, topic);
  await sentinel(table, w);
  const committed = new Float64Array(total + 1);
  const begin = performance.now();
  const inflight: Promise<void>[] = [];
  for (let id = 1; id <= total; ) {
    const n = Math.min(rowsPerTx(), total - id + 1);
    const wait = begin + ((id - 1) * 1000) / rowsPerSecond - performance.now();
    if (wait > 1) await sleep(wait);
    const first = id;
    const rows = Array.from({ length: n }, (_, i) => payload(first + i));
    inflight.push(
      pool.query(`INSERT INTO ${table} VALUES ?`, [rows]).then(() => {
        const at = performance.now();
        for (let i = first; i < first + n; i++) committed[i] = at;
      }),
    );
    if (inflight.length >= 64) await inflight.shift();
    id += n;
  }
  await Promise.all(inflight);
  const offeredSeconds = (performance.now() - begin) / 1000;
  await untilCount(w, total, `${tool.name} latency`);
  const stats = await running.stop();
  await w.stop();
  // The first WARM_UP_MS of rows are left out: a JVM (Debezium) compiles its hot paths then.
  const measured: number[] = [];
  const toProduce: number[] = [];
  for (let id = 1; id <= total; id++) {
    if (committed[id]! - begin < WARM_UP_MS) continue;
    measured.push(w.arrived[id]! - committed[id]!);
    toProduce.push(w.produced[id]! - committed[id]!);
  }
  const percentile = (values: number[]) => {
    const sorted = Float64Array.from(values).sort();
    return (p: number) => round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
  };
  const pct = percentile(measured);
  return {
    achievedRowsPerSecond: Math.round(total / offeredSeconds),
    p50Ms: pct(50),
    p99Ms: pct(99),
    maxMs: pct(100),
    // The tool's own share: from the COMMIT returning to the record handed to its Kafka client.
    p99ToProduceMs: percentile(toProduce)(99),
    ...cost(stats),
  };
}

// A fixed sequence of transaction sizes 1–10 (mean 5.5), the same for every tool and run.
function sizes() {
  let state = 12345;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return 1 + (state % 10);
  };
}

type Result = {
  initialization?: Awaited<ReturnType<typeof initialization>>;
  catchUp?: Awaited<ReturnType<typeof catchUp>>;
  latency2k?: Awaited<ReturnType<typeof latency>>;
  latency10k?: Awaited<ReturnType<typeof latency>>;
};
const results = new Map<string, Result[]>(tools.map((t) => [t.name, []]));

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : round((sorted[mid - 1]! + sorted[mid]!) / 2, 2);
};

await root.query(`CREATE DATABASE ${database}`);
try {
  await root.query(`USE ${database}`);
  const snapshotTable = SCENARIOS.has('initialization') ? await initTable() : '';
  for (let r = 1; r <= RUNS; r++) {
    // Alternate which tool goes first, so neither always meets a warmer (or busier) machine.
    const order = r % 2 ? tools : [...tools].reverse();
    for (const tool of order) {
      const run = `${suffix}${r}`;
      const result: Result = {};
      if (SCENARIOS.has('initialization'))
        result.initialization = await initialization(tool, run, snapshotTable);
      if (SCENARIOS.has('catch-up')) result.catchUp = await catchUp(tool, run);
      if (SCENARIOS.has('latency')) {
        result.latency2k = await latency(tool, run, 2000, () => 1);
        result.latency10k = await latency(tool, run, 10_000, sizes());
      }
      results.get(tool.name)!.push(result);
      process.stderr.write(`[bench] run ${r} ${tool.name}: ${JSON.stringify(result)}\n`);
    }
  }
} finally {
  await root.query(`DROP DATABASE IF EXISTS ${database}`);
  await root.end();
  await pool.end();
  await admin.disconnect();
}

const all: [string, (r: Result) => number | undefined][] = [
  ['initialization rows/s', (r) => r.initialization?.rowsPerSecond],
  ['initialization rows/s from start', (r) => r.initialization?.fromStartRowsPerSecond],
  ['initialization CPU s', (r) => r.initialization?.cpuSeconds],
  ['initialization peak RSS MiB', (r) => r.initialization?.peakRssMiB],
  ['initialization source + Kafka CPU s', (r) => r.initialization?.servicesCpuSeconds],
  ['initialization bench CPU s', (r) => r.initialization?.benchCpuSeconds],
  ['catch-up rows/s', (r) => r.catchUp?.rowsPerSecond],
  ['catch-up CPU s', (r) => r.catchUp?.cpuSeconds],
  ['catch-up peak RSS MiB', (r) => r.catchUp?.peakRssMiB],
  ['2k tx/s p50 ms', (r) => r.latency2k?.p50Ms],
  ['2k tx/s p99 ms', (r) => r.latency2k?.p99Ms],
  ['2k tx/s max ms', (r) => r.latency2k?.maxMs],
  ['2k tx/s p99 commit→produce ms', (r) => r.latency2k?.p99ToProduceMs],
  ['2k tx/s CPU s', (r) => r.latency2k?.cpuSeconds],
  ['10k rows/s p50 ms', (r) => r.latency10k?.p50Ms],
  ['10k rows/s p99 ms', (r) => r.latency10k?.p99Ms],
  ['10k rows/s max ms', (r) => r.latency10k?.maxMs],
  ['10k rows/s p99 commit→produce ms', (r) => r.latency10k?.p99ToProduceMs],
  ['10k rows/s CPU s', (r) => r.latency10k?.cpuSeconds],
  [
    'streaming peak RSS MiB',
    (r) => r.latency2k && r.latency10k && Math.max(r.latency2k.peakRssMiB, r.latency10k.peakRssMiB),
  ],
];
// Only what the chosen scenarios measured.
const metrics = all.filter(([, of]) => results.get(tools[0]!.name)!.every((r) => of(r) !== undefined)) as [
  string,
  (r: Result) => number,
][];
const medians = Object.fromEntries(
  tools.map((t) => [
    t.name,
    Object.fromEntries(metrics.map(([name, of]) => [name, median(results.get(t.name)!.map(of))])),
  ]),
);
const maxOverMin = (of: (r: Result) => number | undefined) =>
  Object.fromEntries(
    tools.map((t) => {
      const rates = results.get(t.name)!.map(of);
      if (rates.some((r) => r === undefined)) return [t.name, null];
      return [t.name, round(Math.max(...(rates as number[])) / Math.min(...(rates as number[])), 2)];
    }),
  );
const names = tools.map((t) => t.name);
const header = `| | ${names.map((n) => `${n} (median of ${RUNS})`).join(' | ')} |${names.length === 2 ? ` ${names[0]} / ${names[1]} |` : ''}`;
const lines = [header, `|---|${names.map(() => '---|').join('')}${names.length === 2 ? '---|' : ''}`];
for (const [name] of metrics) {
  const values = names.map((n) => medians[n]![name]!);
  const ratio = values.length === 2 && values[1] ? ` ${round(values[0]! / values[1]!, 2)} |` : '';
  lines.push(`| ${name} | ${values.join(' | ')} |${ratio}`);
}
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(
  JSON.stringify(
    {
      machine: `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      runs: Object.fromEntries(results),
      medians,
      catchUpMaxOverMin: maxOverMin((r) => r.catchUp?.rowsPerSecond),
      initializationMaxOverMin: maxOverMin((r) => r.initialization?.rowsPerSecond),
    },
    null,
    2,
  ),
);
console.log(`\n${lines.join('\n')}`);
if (flags.chart) {
  writeFileSync(flags.chart, drawChart(medians, names));
  process.stderr.write(`[bench] chart written to ${flags.chart}\n`);
}
