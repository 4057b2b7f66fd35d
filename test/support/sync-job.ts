import mysql from 'mysql2/promise';
import { validateSyncJob } from '../../src/api/v1alpha1/manifest.ts';
import type { SyncJob } from '../../src/api/v1alpha1/syncjob-spec.ts';
import { type Admin, Kafka, logLevel } from '../../src/kafka/kafkajs.ts';
import { comparePositions } from '../../src/source/binlog/position-order.ts';
import { binlogEnd } from '../../src/source/mysql/binlog-end.ts';
import { readFlavor } from '../../src/source/mysql/flavor.ts';
import { createWorkerMetrics, type WorkerMetrics } from '../../src/worker/metrics.ts';
import {
  createWorkerReport,
  liveState,
  type WorkerReport,
  type WorkerReportSnapshot,
} from '../../src/worker/report.ts';
import { createSecretResolver, secretEnvName } from '../../src/worker/secrets.ts';
import { runWorker } from '../../src/worker/worker.ts';
import { eventually } from './cli-process.ts';
import { testLogger } from './test-logger.ts';
import type { TestEnv } from './testenv.ts';

export const SYNC_SECRET = { name: 'mariadb-sync', key: 'password' };

/** spec.source for the test source (MariaDB or MySQL) with the least-privilege sync account. */
export const sourceSpec = (env: TestEnv) => ({
  type: env.sourceType,
  host: env.mysql.host,
  port: env.mysql.port,
  username: env.mysql.syncUser,
  passwordSecretRef: SYNC_SECRET,
});

/** A SyncJob for the test services, defaults applied by the real validator. */
export function testJob(
  env: TestEnv,
  name: string,
  spec: { topic: string; objects: unknown[]; source?: object; target?: object; [k: string]: unknown },
): SyncJob {
  const { topic, objects, source, target, ...rest } = spec;
  return validateSyncJob({
    apiVersion: 'syncjob.io/v1alpha1',
    kind: 'SyncJob',
    metadata: { name, namespace: 'test' },
    spec: {
      source: { ...sourceSpec(env), ...source },
      target: { brokers: env.kafka.brokers, topic, version: '4.x', ...target },
      objects,
      // Streaming tests; initialization is tested where it is the subject.
      initialization: { data: false },
      ...rest,
    },
  });
}

export interface RunningWorker {
  report: WorkerReport;
  metrics: WorkerMetrics;
  stop(): Promise<void>;
  /** Rejects if the worker fails. */
  done: Promise<void>;
}

/** Runs a worker in this process and resolves once its binlog stream is live. */
export async function startWorker(env: TestEnv, job: SyncJob): Promise<RunningWorker> {
  const abort = new AbortController();
  let readyResolve: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    readyResolve = resolve;
  });
  const report = createWorkerReport();
  const metrics = createWorkerMetrics({ job: job.metadata.name }, liveState(report));
  const logger = testLogger(`worker ${job.metadata.name} (in the test process)`);
  const done = runWorker({
    job,
    resolveSecret: createSecretResolver({
      dir: '/nonexistent',
      env: { [secretEnvName(SYNC_SECRET)]: env.mysql.syncPassword },
    }),
    metrics,
    report,
    logger,
    signal: abort.signal,
    onStreaming: (streaming) => streaming && readyResolve(),
  });
  await Promise.race([ready, done]);
  return {
    report,
    metrics,
    done,
    async stop() {
      abort.abort();
      await done;
    },
  };
}

async function withAdmin<T>(env: TestEnv, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({
    clientId: 'test-admin',
    brokers: env.kafka.brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Writes raw messages to a topic (not through the product): another producer's records. */
export async function produce(
  env: TestEnv,
  topic: string,
  messages: { value: string | Buffer; partition?: number }[],
): Promise<void> {
  const producer = new Kafka({
    clientId: 'test-producer',
    brokers: env.kafka.brokers,
    logLevel: logLevel.NOTHING,
  }).producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

export function createTopic(env: TestEnv, topic: string, numPartitions: number): Promise<void> {
  return withAdmin(env, async (admin) => {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  });
}

/** Deletes those of `topics` that exist (a test may end before creating them all). */
export function deleteTopics(env: TestEnv, topics: string[]): Promise<void> {
  return withAdmin(env, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  });
}

export function rootConnection(env: TestEnv): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: env.mysql.host,
    port: env.mysql.port,
    user: env.mysql.rootUser,
    password: env.mysql.rootPassword,
    multipleStatements: true,
  });
}

/** The source's binlog end now, read as the worker reads it (SHOW BINARY LOG STATUS on MySQL 8.2+). */
export async function sourceBinlogEnd(db: mysql.Connection): Promise<{ file: string; offset: number }> {
  const { file, offset } = await binlogEnd(db, await readFlavor(db));
  return { file, offset };
}

/**
 * Resolves once a worker caught up with the source's binlog end as it is now (the offset it
 * stored reaches it) and finished initializing; `report` reads its /report (or its report object).
 */
export async function untilCaughtUp(
  db: mysql.Connection,
  report: () => Promise<WorkerReportSnapshot> | WorkerReportSnapshot,
  timeoutMs = 180_000,
): Promise<void> {
  const target = await sourceBinlogEnd(db);
  await eventually(
    async () => {
      const r = await report();
      const at = r.position;
      // Initialization runs beside the stream and may end after it caught up; null: none due.
      return (
        (r.initialization === null || r.initialization.done) &&
        at !== null &&
        comparePositions({ file: at.file, offset: at.position }, target) >= 0
      );
    },
    'the worker to catch up with the source and finish initialization',
    timeoutMs,
  );
}

/** Resolves once a running `syncjob run` streams (its /readyz answers 200). */
export const untilReady = (metricsPort: number): Promise<void> =>
  eventually(
    async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => null))?.status === 200,
    'the worker to stream',
  );

/** A running `syncjob run`'s /report. */
export const workerReport = async (metricsPort: number): Promise<WorkerReportSnapshot> =>
  (await (await fetch(`http://127.0.0.1:${metricsPort}/report`)).json()) as WorkerReportSnapshot;
