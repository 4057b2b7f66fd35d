// One operator and many SyncJobs on the test kube-apiserver: --running of them (20) run against the
// test MariaDB and Kafka, their workers started as local processes by the kubelet stand-in; the
// rest are paused (the operator does everything for them but start pods and precheck sources).
//   scripts/testenv.sh up && npx node bench/operator-scale.ts [--running 20] [--jobs 1000] [--restarts 3] [--relist-seconds 30]
//     [--concurrent-reconciles N]
// Measured, in a fresh namespace, with one `syncjob operator` process scoped to it (default flags
// but the relist period, and the chart's heap ceiling):
//  - create: N SyncJobs created (20 at a time) → all have a phase; the operator's reconciles and
//    status writes meanwhile;
//  - steady: a window with no change, then one periodic relist: reconciles and status writes;
//  - restart: the operator stopped (SIGTERM) and started again, until it reconciled every job
//    (its reconcile counter reaches N): time, status writes (0 expected: nothing changed);
//  - throughout: reconcile p50/p99 from the operator's histogram, queue depth, the operator's peak
//    RSS, and the API server's requests by verb (its /metrics).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import mysql from 'mysql2/promise';
import { parse } from 'yaml';
import { testenvEnv } from '../scripts/lib/testenv-env.ts';
import { GROUP, VERSION } from '../src/api/v1alpha1/syncjob-spec.ts';
import { Kafka, logLevel } from '../src/kafka/kafkajs.ts';
import { WORKER_NODE_FLAGS } from '../src/worker/node-flags.ts';
import { startPodRunner } from '../test/kubelet/pod-runner.ts';
import { buildImageDir } from '../test/support/image-dir.ts';
import { processStats } from './lib/process-stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000' },
    restarts: { type: 'string', default: '3' },
    'relist-seconds': { type: 'string', default: '30' },
    /** Of the jobs, this many run (a worker each, through the kubelet stand-in); the rest are paused. */
    running: { type: 'string', default: '20' },
    /** Passed on to the operator; its default when absent. */
    'concurrent-reconciles': { type: 'string' },
  },
});
const HEAP_MIB = (
  parse(readFileSync(path.join(ROOT, 'charts/syncjob-operator/values.yaml'), 'utf8')) as {
    maxHeapMiB: number;
  }
).maxHeapMiB;
const JOBS = Number(args.jobs);
const RUNNING = Number(args.running);
const RESTARTS = Number(args.restarts);
const RELIST_SECONDS = Number(args['relist-seconds']);

const env = testenvEnv(RUNNING > 0 ? ['mariadb', 'kafka', 'kube'] : ['kube']);
const SOURCE_DB = 'scale_source';
const kubeconfig = env.KUBECONFIG!;
const kubectl = (...a: string[]) =>
  execFileSync(path.join(env.SYNCJOB_KUBE_BIN!, 'kubectl'), ['--kubeconfig', kubeconfig, ...a], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const namespace = `scale-${Date.now().toString(36)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) =>
  process.stderr.write(`[scale ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** Counters of the API server's /metrics: requests by verb and resource (SyncJob status PUTs apart). */
function apiRequests(): Record<string, number> {
  const text = kubectl('get', '--raw', '/metrics');
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (labels.resource !== 'syncjobs' && labels.resource !== 'pods' && labels.resource !== 'events')
      continue;
    const what = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    out[what] = (out[what] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

const delta = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v > 0),
  );

interface OperatorMetrics {
  reconciles: number;
  /** Reconciles by result (success, requeue, conflict, error, terminal). */
  byResult: Record<string, number>;
  /** Histogram buckets: upper bound (s) → cumulative count. */
  buckets: [number, number][];
  queueDepth: number;
}

async function operatorMetrics(port: number): Promise<OperatorMetrics> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let queueDepth = 0;
  const byResult: Record<string, number> = {};
  const buckets: [number, number][] = [];
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('syncjob_operator_reconcile_total{')) {
      const result = /result="([^"]+)"/.exec(line)?.[1] ?? '';
      byResult[result] = (byResult[result] ?? 0) + value;
    } else if (line.startsWith('syncjob_operator_queue_depth ')) queueDepth = value;
    else if (line.startsWith('syncjob_operator_reconcile_duration_seconds_bucket{')) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      buckets.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), value]);
    }
  }
  const reconciles = Object.values(byResult).reduce((a, b) => a + b, 0);
  return { reconciles, byResult, buckets, queueDepth };
}

/** A quantile of the reconciles between two scrapes: the upper bound of the bucket it falls in. */
function quantileMs(after: OperatorMetrics, before: OperatorMetrics | null, q: number): number {
  const counts = after.buckets.map(([le, n], i) => [le, n - (before?.buckets[i]?.[1] ?? 0)] as const);
  const total = counts.at(-1)?.[1] ?? 0;
  if (total === 0) return Number.NaN;
  const bucket = counts.find(([, n]) => n >= q * total)!;
  return bucket[0] * 1000;
}

// The operator as the image runs it: the built tree (buildImageDir) under the entrypoint's flags.
function startOperator(port: number): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      ...WORKER_NODE_FLAGS,
      path.join(buildImageDir(), 'dist/cli/main.js'),
      'operator',
      '--namespace',
      namespace,
      '--image',
      'syncjob-bench',
      '--leader-election-namespace',
      namespace,
      '--metrics-port',
      String(port),
      '--metrics-address',
      '127.0.0.1',
      '--relist-seconds',
      String(RELIST_SECONDS),
      ...(args['concurrent-reconciles'] ? ['--concurrent-reconciles', args['concurrent-reconciles']] : []),
    ],
    // The heap ceiling the chart gives the operator (values.yaml maxHeapMiB).
    {
      env: { ...process.env, KUBECONFIG: kubeconfig, NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return child;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 600_000): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(200);
  }
  return Date.now() - start;
}

interface SeenJob {
  running: boolean;
  phase?: string;
  ready: boolean;
}

/**
 * The namespace's SyncJobs as one watch shows them. Not polled: a LIST of 1000 jobs costs the test
 * API server ~0.8 CPU-seconds, which polling would take from the operator being measured.
 */
async function watchJobs(): Promise<{ jobs: Map<string, SeenJob>; stop: () => void }> {
  const jobs = new Map<string, SeenJob>();
  type Obj = {
    metadata: { name: string };
    spec: { state: string };
    status?: { phase?: string; conditions?: { type: string; status: string }[] };
  };
  let req: AbortController | undefined;
  let stopped = false;
  // A watch ends after 30 s without events (the client's inactivity timeout): started again, it
  // sends every job once more.
  const start = async (): Promise<void> => {
    req = await new Watch(kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/syncjobs`,
      {},
      (type: string, o: Obj) => {
        if (type === 'DELETED') jobs.delete(o.metadata.name);
        else
          jobs.set(o.metadata.name, {
            running: o.spec.state === 'running',
            phase: o.status?.phase,
            ready: o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
          });
      },
      () => {
        if (!stopped) void start();
      },
    );
  };
  await start();
  return {
    jobs,
    stop: () => {
      stopped = true;
      req?.abort();
    },
  };
}

const count = (jobs: Map<string, SeenJob>, pred: (j: SeenJob) => boolean) =>
  [...jobs.values()].filter(pred).length;

const topicOf = (i: number) => `${namespace}-topic-${i}`;
// The first RUNNING jobs run against the test MariaDB (one small table) and Kafka; the rest are paused.
const job = (i: number) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'SyncJob',
  metadata: { name: `job-${String(i).padStart(4, '0')}`, namespace },
  spec: {
    state: i < RUNNING ? 'running' : 'paused',
    source: {
      type: 'mariadb',
      host: env.MYSQL_HOST ?? '127.0.0.1',
      port: Number(env.MYSQL_PORT ?? 13306),
      username: env.MYSQL_SYNC_USER ?? 'sync',
      passwordSecretRef: { name: 'db', key: 'password' },
    },
    target: {
      brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','),
      topic: topicOf(i),
      version: '4.x',
    },
    objects: [{ database: i < RUNNING ? SOURCE_DB : `db${i}` }],
    offsets: { topic: `${namespace}-offsets`, onDelete: 'keep' },
  },
});

/** For running jobs: the source table, their topics, and the kubelet stand-in that runs their workers. */
async function startRunningSide(): Promise<() => Promise<void>> {
  if (RUNNING === 0) return async () => {};
  const db = await mysql.createConnection({
    host: env.MYSQL_HOST,
    port: Number(env.MYSQL_PORT),
    user: env.MYSQL_ROOT_USER,
    ...(env.MYSQL_ROOT_PASSWORD ? { password: env.MYSQL_ROOT_PASSWORD } : {}),
  });
  await db.query(`CREATE DATABASE IF NOT EXISTS ${SOURCE_DB}`);
  await db.query(`CREATE TABLE IF NOT EXISTS ${SOURCE_DB}.t (id INT PRIMARY KEY, v VARCHAR(20))`);
  await db.query(`INSERT IGNORE INTO ${SOURCE_DB}.t SELECT seq, 'row' FROM ${SOURCE_DB}.seq_1_to_100`);
  await db.end();
  const admin = new Kafka({
    clientId: 'scale-bench',
    brokers: env.KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  const topics = [...Array.from({ length: RUNNING }, (_, i) => topicOf(i)), `${namespace}-offsets`];
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
  });
  const runner = await startPodRunner({
    kubeConfig: kc,
    namespace,
    imageRoot: buildImageDir(),
    logDir: mkdtempSync(path.join(tmpdir(), 'scale-pods-')),
    logger: () => undefined,
  });
  return async () => {
    await runner.stop();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  };
}

async function main() {
  kubectl('apply', '-f', path.join(ROOT, 'crds/syncjob.yaml'));
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'db' }, stringData: { password: env.MYSQL_SYNC_PASSWORD ?? 'unused' } },
  });
  const stopRunningSide = await startRunningSide();
  const port = 21000 + Math.floor(Math.random() * 1000);
  let operator = startOperator(port);
  let peakRss = 0;
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, processStats(operator.pid!).peakRssMiB);
    } catch {
      // between a stop and the next start
    }
  }, 500);
  await until(
    'the operator serves /metrics',
    async () => (await operatorMetrics(port).catch(() => null)) !== null,
  );
  await sleep(2_000);

  const seen = await watchJobs();
  log(`creating ${JOBS} SyncJobs in ${namespace}`);
  let api = apiRequests();
  let ops = await operatorMetrics(port);
  const created = Date.now();
  let maxQueue = 0;
  let lastScrape = 0;
  for (let i = 0; i < JOBS; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, JOBS - i) }, (_, k) =>
        custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: 'syncjobs',
          namespace,
          body: job(i + k),
        }),
      ),
    );
  }
  const postedS = (Date.now() - created) / 1000;
  await until('every job has a phase', async () => {
    // A scrape renders every job's series: once a second, not at every check.
    if (Date.now() - lastScrape >= 1000) {
      lastScrape = Date.now();
      maxQueue = Math.max(maxQueue, (await operatorMetrics(port)).queueDepth);
    }
    return count(seen.jobs, (j) => j.phase !== undefined) === JOBS;
  });
  const allPhasedS = (Date.now() - created) / 1000;
  await until(
    `the ${RUNNING} running jobs are Ready`,
    async () => count(seen.jobs, (j) => j.running && j.ready) === RUNNING,
  );
  const runningReadyS = (Date.now() - created) / 1000;
  await sleep(3_000);
  let opsNow = await operatorMetrics(port);
  const createPhase = {
    seconds: allPhasedS,
    runningReadySeconds: runningReadyS,
    postedSeconds: postedS,
    reconciles: opsNow.reconciles - ops.reconciles,
    byResult: delta(opsNow.byResult, ops.byResult),
    p50Ms: quantileMs(opsNow, ops, 0.5),
    p99Ms: quantileMs(opsNow, ops, 0.99),
    maxQueue,
    api: delta(apiRequests(), api),
  };
  log(`create: ${JSON.stringify(createPhase)}`);

  // Steady state over one periodic relist (relist period + a margin).
  api = apiRequests();
  ops = opsNow;
  const windowS = RELIST_SECONDS + 5;
  await sleep(windowS * 1000);
  opsNow = await operatorMetrics(port);
  const apiSteady = delta(apiRequests(), api);
  const steady = {
    windowSeconds: windowS,
    reconciles: opsNow.reconciles - ops.reconciles,
    p50Ms: quantileMs(opsNow, ops, 0.5),
    p99Ms: quantileMs(opsNow, ops, 0.99),
    statusWrites: apiSteady['PUT syncjobs/status'] ?? 0,
    apiRequestsPerSecond: Object.values(apiSteady).reduce((a, b) => a + b, 0) / windowS,
    api: apiSteady,
  };
  log(`steady: ${JSON.stringify(steady)}`);

  const restarts: { seconds: number; statusWrites: number; p99Ms: number; reconciles: number }[] = [];
  for (let r = 0; r < RESTARTS; r++) {
    operator.kill('SIGTERM');
    await new Promise((res) => operator.once('exit', res));
    api = apiRequests();
    const start = Date.now();
    operator = startOperator(port);
    await until(
      'the restarted operator serves /metrics',
      async () => (await operatorMetrics(port).catch(() => null)) !== null,
    );
    await until(
      'the restarted operator reconciled every job',
      async () => (await operatorMetrics(port)).reconciles >= JOBS,
    );
    const seconds = (Date.now() - start) / 1000;
    await sleep(2_000);
    const m = await operatorMetrics(port);
    const a = delta(apiRequests(), api);
    restarts.push({
      seconds,
      statusWrites: a['PUT syncjobs/status'] ?? 0,
      p99Ms: quantileMs(m, null, 0.99),
      reconciles: m.reconciles,
    });
    log(`restart ${r + 1}: ${JSON.stringify(restarts.at(-1))} api ${JSON.stringify(a)}`);
  }
  clearInterval(sampler);
  seen.stop();
  operator.kill('SIGTERM');
  await new Promise((res) => operator.once('exit', res));

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const rows: [string, string][] = [
    [
      `${JOBS} new jobs: all have a phase`,
      `${createPhase.seconds.toFixed(1)} s (the last created after ${createPhase.postedSeconds.toFixed(1)} s)`,
    ],
    [
      `the ${RUNNING} running jobs Ready (precheck, worker, initialization)`,
      `${createPhase.runningReadySeconds.toFixed(1)} s`,
    ],
    [
      'reconciles while creating',
      `${createPhase.reconciles} (p50 ${createPhase.p50Ms} ms, p99 ${createPhase.p99Ms} ms, queue depth max ${createPhase.maxQueue})`,
    ],
    [
      `steady state, ${windowS} s with one relist: reconciles`,
      `${steady.reconciles} (p50 ${steady.p50Ms} ms, p99 ${steady.p99Ms} ms)`,
    ],
    [
      `steady state: status writes (the ${RUNNING} running jobs' progress included)`,
      String(steady.statusWrites),
    ],
    ['steady state: API requests/s', steady.apiRequestsPerSecond.toFixed(1)],
    [
      `restart: all reconciled again (median of ${RESTARTS})`,
      `${median(restarts.map((r) => r.seconds)).toFixed(1)} s`,
    ],
    ['restart: status writes (median)', String(median(restarts.map((r) => r.statusWrites)))],
    ['restart: reconcile p99 (median)', `${median(restarts.map((r) => r.p99Ms))} ms`],
    ['operator peak RSS', `${peakRss} MiB`],
  ];
  process.stdout.write(
    `| ${JOBS} SyncJobs (${RUNNING} running, ${JOBS - RUNNING} paused), one operator | |\n|---|---|\n`,
  );
  for (const [k, v] of rows) process.stdout.write(`| ${k} | ${v} |\n`);
  await stopRunningSide();
  // The jobs keep the operator's finalizer (no operator runs now): released so the namespace goes.
  const names = [...seen.jobs.keys()];
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(
      names.slice(i, i + 20).map((name) =>
        custom.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            plural: 'syncjobs',
            namespace,
            name,
            body: { metadata: { finalizers: null } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      ),
    );
  }
  await core.deleteNamespace({ name: namespace });
}

await main();
