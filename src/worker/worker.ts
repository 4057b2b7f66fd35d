// One sync job, start to stop: connect to the source and Kafka, stream the binlog through the
// pipeline, and on a retriable failure start again from the last acknowledged transaction with
// backoff. A terminal failure (purged binlog, missing topic, bad configuration) ends the run.
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { SyncJob } from '../api/v1alpha1/syncjob-spec.ts';
import { isRetriable } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createKafkaSink } from '../sink/kafka/kafka-sink.ts';
import { createBinlogReader, type StartPosition } from '../source/binlog/binlog-reader.ts';
import { createTableCodecLoader } from '../source/binlog/table-codec.ts';
import type { SourcePosition } from '../source/row-change.ts';
import { backoffDelay, sleep } from './backoff.ts';
import type { WorkerMetrics } from './metrics.ts';
import { createPipeline } from './pipeline.ts';
import type { WorkerReport } from './report.ts';
import { planRouting } from './routing.ts';
import type { SecretResolver } from './secrets.ts';

export interface WorkerOptions {
  job: SyncJob;
  resolveSecret: SecretResolver;
  metrics: WorkerMetrics;
  report: WorkerReport;
  logger: Logger;
  signal: AbortSignal;
  /** Called when the stream starts (true) or stops (false), besides the report. */
  onStreaming?: (streaming: boolean) => void;
}

// Accounted as encoded bytes; the heap and Buffer overhead of a queued record roughly triples it.
const QUEUE_BYTES = 16 * 1024 * 1024;
const BATCH_MAX_RECORDS = 10_000;
// Under Kafka's default message.max.bytes (1 MiB), which bounds one partition's record batch.
const BATCH_MAX_BYTES = 900 * 1024;

/** A replica server id of its own per job, stable across restarts, unlikely to clash with a real server. */
export function derivedServerId(job: SyncJob): number {
  const identity = job.metadata.uid ?? `${job.metadata.namespace ?? 'default'}/${job.metadata.name}`;
  return 0x40000000 + (createHash('sha256').update(identity).digest().readUInt32BE(0) % 0x3fffffff);
}

function startOf(job: SyncJob): StartPosition {
  const p = job.spec.source.startPosition;
  if (p.mode === 'file') return { mode: 'file', file: p.file!, position: p.position! };
  if (p.mode === 'gtid') return { mode: 'gtid', gtidSet: p.gtidSet! };
  return { mode: 'end' };
}

export async function runWorker(opts: WorkerOptions): Promise<void> {
  const { logger: log } = opts;
  const init = opts.job.spec.initialization;
  if (init.data || init.schema) {
    // Said out loud rather than skipped silently: existing rows are not copied yet.
    const message =
      'initialization (spec.initialization.data/schema) is not available in this version: only changes from the start position are synced';
    opts.report.raise('InitializationUnavailable', message);
    log.warn(message);
  }
  // Where a retry resumes: the configured start until the stream has begun, then the concrete
  // position it began at (so `end` does not skip what came meanwhile), then the last transaction
  // Kafka acknowledged.
  let resume = startOf(opts.job);
  for (let attempt = 0; !opts.signal.aborted; attempt++) {
    let progressed = false;
    const progress: StreamProgress = {
      started(p) {
        if (resume.mode === 'end') resume = { mode: 'file', file: p.file, position: p.position };
      },
      acknowledged(p) {
        resume = { mode: 'file', file: p.file, position: p.offset };
        progressed = true;
      },
    };
    try {
      await streamOnce(opts, resume, progress);
      return;
    } catch (err) {
      if (!isRetriable(err)) throw err;
      if (progressed) attempt = 0;
      const delay = backoffDelay(attempt);
      log.warn({ err, retryInMs: delay, resumeFrom: resume }, 'Stream failed; retrying');
      await sleep(delay, opts.signal);
    }
  }
}

interface StreamProgress {
  started(position: { file: string; position: number }): void;
  acknowledged(position: SourcePosition): void;
}

async function streamOnce(
  opts: WorkerOptions,
  start: StartPosition,
  progress: StreamProgress,
): Promise<void> {
  const { job, logger: log, metrics } = opts;
  const { source, target } = job.spec;
  const password = await opts.resolveSecret(source.passwordSecretRef);
  const sasl = target.sasl
    ? {
        mechanism: target.sasl.mechanism,
        username: await opts.resolveSecret({
          name: target.sasl.secretRef.name,
          key: target.sasl.secretRef.usernameKey,
        }),
        password: await opts.resolveSecret({
          name: target.sasl.secretRef.name,
          key: target.sasl.secretRef.passwordKey,
        }),
      }
    : undefined;
  const mysqlTls = source.tls.enabled
    ? {
        rejectUnauthorized: !source.tls.insecureSkipVerify,
        ...(source.tls.caSecretRef ? { ca: await opts.resolveSecret(source.tls.caSecretRef) } : {}),
      }
    : undefined;
  const connection = {
    host: source.host,
    port: source.port,
    user: source.username,
    password,
    ...(mysqlTls ? { ssl: mysqlTls } : {}),
  };

  const control = await mysql.createConnection({ ...connection, timezone: 'Z', dateStrings: true });
  const sink = createKafkaSink({
    brokers: target.brokers,
    clientId: `syncjob-${job.metadata.name}`,
    acks: target.acks,
    compression: target.compression,
    idempotent: target.version !== '0.10' && target.acks === 'all',
    ...(sasl ? { sasl } : {}),
    ...(target.tls.enabled
      ? {
          tls: {
            insecureSkipVerify: target.tls.insecureSkipVerify,
            ...(target.tls.caSecretRef ? { ca: await opts.resolveSecret(target.tls.caSecretRef) } : {}),
          },
        }
      : {}),
    logger: log.child({ component: 'sink' }),
  });
  let reader: ReturnType<typeof createBinlogReader> | undefined;
  let pipeline: Awaited<ReturnType<typeof createPipeline>> | undefined;
  let running: Promise<void> | undefined;
  try {
    const [[versionRow]] = await control.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
    await sink.connect();
    const routing = planRouting(job.spec.objects, target.topic);
    pipeline = await createPipeline({
      routing,
      partitioning: target.partitioning,
      sink,
      metrics,
      logger: log.child({ component: 'pipeline' }),
      sourceVersion: String(versionRow?.v ?? ''),
      emitDdl: job.spec.ddl.emit,
      report: opts.report,
      queueBytes: QUEUE_BYTES,
      batchMaxRecords: BATCH_MAX_RECORDS,
      batchMaxBytes: BATCH_MAX_BYTES,
    });
    const p = pipeline;
    reader = createBinlogReader({
      connection,
      serverId: source.serverId ?? derivedServerId(job),
      start,
      includeSchema: routing.includeSchema,
      loadTable: createTableCodecLoader(control, log.child({ component: 'schema' })),
      handler: p.handler,
      logger: log.child({ component: 'binlog' }),
    });
    const r = reader;
    p.onBackPressure(
      () => r.pause(),
      () => r.resume(),
    );
    running = p.run().then(() => undefined);
    const aborted = new Promise<void>((resolve) =>
      opts.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    progress.started(await r.start());
    setStreaming(opts, true);
    const ackTimer = setInterval(() => {
      const acked = p.acknowledged();
      if (acked) progress.acknowledged(acked);
      opts.report.setPosition(acked);
    }, 1000);
    try {
      await Promise.race([running, r.failed, aborted]);
    } finally {
      clearInterval(ackTimer);
    }
    log.info('Stopping stream');
  } finally {
    setStreaming(opts, false);
    await reader?.stop();
    pipeline?.stop();
    // Everything already read is still sent, so a restart resumes after it.
    await running?.catch(() => undefined);
    const acked = pipeline?.acknowledged();
    if (acked) progress.acknowledged(acked);
    opts.report.setPosition(acked ?? null);
    await sink.close();
    await control.end().catch(() => undefined);
  }
}

function setStreaming(opts: WorkerOptions, streaming: boolean) {
  opts.report.setStreaming(streaming);
  opts.onStreaming?.(streaming);
}
