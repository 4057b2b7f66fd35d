// One sync job, start to stop: connect to the source and Kafka, load the job's offset from Kafka,
// stream the binlog through the pipeline from there, and on a retriable failure start over (from
// the offset Kafka then holds) with backoff. A terminal failure (purged binlog, missing topic, bad
// configuration, a newer worker of the same job) ends the run.
import mysql from 'mysql2/promise';
import type { SyncJob } from '../api/v1alpha1/syncjob-spec.ts';
import { transactional } from '../delivery.ts';
import { ConfigError, isRetriable, SyncError } from '../errors.ts';
import { createRecordFormat } from '../format/formats.ts';
import { effectiveServerId, jobKey } from '../job-identity.ts';
import { createKafkaClient } from '../kafka/client.ts';
import type { Logger } from '../log.ts';
import { encodeJobOffset, type JobOffset, type SnapshotProgress } from '../offsets/job-offset.ts';
import { ensureOffsetsTopic, loadJobOffset } from '../offsets/kafka-offset-store.ts';
import { createKafkaSink } from '../sink/kafka/kafka-sink.ts';
import type { RecordSink } from '../sink/record-sink.ts';
import { createBinlogReader, type StartPosition } from '../source/binlog/binlog-reader.ts';
import { createTableCodecLoader } from '../source/binlog/table-codec.ts';
import { binlogEnd } from '../source/mysql/binlog-end.ts';
import { type Flavor, prepareSourceSession, SUPPORTED_SOURCES } from '../source/mysql/flavor.ts';
import { gtidPositionAt } from '../source/mysql/gtid-at.ts';
import { backoffDelay, sleep } from './backoff.ts';
import { kafkaConnection, mysqlConnection } from './connections.ts';
import { type Health, type Side, UNAVAILABLE } from './health.ts';
import { emitStructure, type Initializer, selectedTables, startInitialization } from './initialization.ts';
import { initializationComplete, planInitialization } from './initialization-plan.ts';
import type { WorkerMetrics } from './metrics.ts';
import { createPipeline } from './pipeline.ts';
import type { WorkerReport } from './report.ts';
import { resumePoint } from './resume-point.ts';
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
// One Kafka transaction's budget: its commit costs a few round trips to the coordinator whatever
// it holds, so at a high rate it spans many source transactions (librdkafka splits it into record
// batches within message.max.bytes); at a low rate it holds whatever queued during the last commit.
const BATCH_MAX_RECORDS = 50_000;
const BATCH_MAX_BYTES = 8 * 1024 * 1024;
const QUIT_WAIT_MS = 1_000;
// Consecutive retriable failures (a few seconds of backoff) after which a retry is worth a warning.
const PERSISTENT_FAILURES = 3;

export async function runWorker(opts: WorkerOptions): Promise<void> {
  const { logger: log } = opts;

  for (let attempt = 0; !opts.signal.aborted; attempt++) {
    try {
      await streamOnce(opts, () => {
        attempt = 0;
      });
      return;
    } catch (err) {
      if (!isRetriable(err)) throw err;
      const delay = backoffDelay(attempt);
      opts.metrics.streamRestarts.inc();
      // A cut connection is retried and usually heals at once: a warning only when it persists.
      const level = attempt >= PERSISTENT_FAILURES ? 'warn' : 'info';
      log[level]({ err, attempt, retryInMs: delay }, 'Stream failed; retrying from the stored offset');
      await sleep(delay, opts.signal);
    }
  }
}

/**
 * `end` is resolved to the concrete binlog end and stored before streaming, so a worker that dies
 * before its first write resumes there instead of at a later end (and loses nothing between).
 */
async function pinStart(
  start: StartPosition,
  control: mysql.Connection,
  sink: RecordSink,
  offsets: { topic: string; key: Buffer },
  initialization: SnapshotProgress | undefined,
  serverId: number,
  flavor: Flavor,
): Promise<{ start: StartPosition; offset: JobOffset | null }> {
  if (start.mode !== 'end') return { start, offset: null };
  const end = await binlogEnd(control, flavor);
  const gtidPos = end.gtidSet ?? (await gtidPositionAt(control, flavor, end.file, end.offset));
  const offset: JobOffset = {
    version: 1,
    binlog: {
      file: end.file,
      position: end.offset,
      gtid: '',
      rowsDone: 0,
      ...(gtidPos === undefined ? {} : { gtidPos }),
      serverId,
    },
    nextId: 1,
    ...(initialization ? { snapshot: initialization } : {}),
  };
  await sink.write([], { ...offsets, partition: 0, value: encodeJobOffset(offset) });
  return { start: { mode: 'file', file: offset.binlog.file, position: offset.binlog.position }, offset };
}

/** The GTID position the stream starts at: the stored one, or looked up for where it starts. */
async function startGtidPosition(
  resume: JobOffset | null,
  start: StartPosition,
  control: mysql.Connection,
  flavor: Flavor,
): Promise<string | undefined> {
  if (resume?.binlog.gtidPos !== undefined) return resume.binlog.gtidPos;
  if (start.mode === 'gtid') return start.gtidSet;
  if (start.mode === 'file') return gtidPositionAt(control, flavor, start.file, start.position);
  return undefined;
}

const withoutCopyStarts = (offset: JobOffset): JobOffset => {
  if (!offset.snapshot) return offset;
  const tables = Object.fromEntries(
    Object.entries(offset.snapshot.tables).map(([t, p]) => [t, { cursor: p.cursor }]),
  );
  return { ...offset, snapshot: { ...offset.snapshot, tables } };
};

/**
 * `step`, with its failure shown as a problem of `side` (until that side works again): the reason
 * the error names, or SourceUnavailable / KafkaUnavailable, and its message.
 */
function onSide<T>(health: Health, side: Side, step: Promise<T>): Promise<T> {
  return step.catch((err: unknown) => {
    if (isRetriable(err)) {
      const reason = err instanceof SyncError ? err.reason : UNAVAILABLE[side];
      health.problem(side, reason, oneLine(err));
    }
    throw err;
  });
}

const oneLine = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

async function streamOnce(opts: WorkerOptions, progressed: () => void): Promise<void> {
  const { job, logger: log, metrics } = opts;
  const { health } = opts.report;
  const source = <T>(step: Promise<T>) => onSide(health, 'source', step);
  const toKafka = <T>(step: Promise<T>) => onSide(health, 'kafka', step);
  const { target } = job.spec;
  const spec = job.spec.source;
  const connection = await mysqlConnection(job, opts.resolveSecret);
  const kafkaOptions = await kafkaConnection(job, opts.resolveSecret);
  const clientOptions = {
    ...kafkaOptions,
    clientId: `syncjob-${job.metadata.name}`,
    logger: log.child({ component: 'kafka' }),
    onClientError: (error: string) => metrics.kafkaClientErrors.inc({ error }),
  };
  const kafka = createKafkaClient(clientOptions);
  const exactlyOnce = transactional(job);
  const key = jobKey(job);
  const offsets = { topic: job.spec.offsets.topic, key: Buffer.from(key) };

  const control = await source(mysql.createConnection({ ...connection, timezone: 'Z', dateStrings: true }));
  const sink = createKafkaSink({
    client: clientOptions,
    acks: target.acks,
    compression: target.compression,
    idempotent: target.version !== '0.10' && target.acks === 'all',
    ...(exactlyOnce ? { transactionalId: `syncjob-${key}` } : {}),
  });
  // What this attempt starts ends with it: the worker's stop, or the attempt failing.
  const attempt = new AbortController();
  const stopAttempt = () => attempt.abort();
  opts.signal.addEventListener('abort', stopAttempt, { once: true });
  if (opts.signal.aborted) stopAttempt();
  let reader: ReturnType<typeof createBinlogReader> | undefined;
  let pipeline: Awaited<ReturnType<typeof createPipeline>> | undefined;
  let running: Promise<void> | undefined;
  let initializer: Initializer | undefined;
  try {
    const [[serverRow]] = await source(
      control.query<mysql.RowDataPacket[]>('SELECT @@server_id AS serverId'),
    );
    const serverId = Number(serverRow?.serverId);
    const flavor = await source(prepareSourceSession(control));
    if (!flavor.supported)
      throw new ConfigError(`the source is not supported: ${flavor.unsupported}`, `use ${SUPPORTED_SOURCES}`);
    // Connecting a transactional producer fences any older worker of this job and aborts what it
    // left open, so the offset loaded next is exactly what Kafka's committed data reaches. First,
    // so that a refused login or certificate is reported by the sink, named with its fix.
    const loaded = await toKafka(
      (async () => {
        await sink.connect();
        await ensureOffsetsTopic(kafka, offsets.topic, log);
        return loadJobOffset({ kafka, sink, ...offsets, logger: log });
      })(),
    );
    health.healthy('kafka');
    const resumeAt = resumePoint(loaded, spec.startPosition, serverId);
    // Copies in progress noted where they began on the old server: those positions mean nothing
    // here, so changes of those tables drop copied rows again as without them (always correct).
    const stored = resumeAt.moved && loaded ? withoutCopyStarts(loaded) : loaded;
    if (resumeAt.moved)
      log.info(
        { from: loaded?.binlog.serverId, to: serverId, gtidPos: loaded?.binlog.gtidPos },
        'The source is another server than the offset was written on; resuming by GTID',
      );
    const init = job.spec.initialization;
    // Which selected tables are still to be copied: all of a new job's, those that entered the
    // selection since the offset was written, and those a re-snapshot request names.
    const end = await source(binlogEnd(control, flavor));
    const plan = planInitialization({
      stored,
      selected:
        init.data || init.schema
          ? (await source(selectedTables(control, job.spec.objects))).map(([db, t]) => `${db}.${t}`)
          : [],
      binlogEnd: { file: end.file, offset: end.offset },
      data: init.data,
      schema: init.schema,
      resnapshots: init.resnapshots.map((r) => ({
        name: r.name,
        tables: r.tables.map((t) => `${t.database}.${t.table}`),
      })),
    });
    const unknown = plan?.unknown[0];
    if (unknown)
      throw new ConfigError(
        `spec.initialization.resnapshots ${unknown.request} names ${unknown.table}, which spec.objects does not select or which does not exist on the source`,
        `select ${unknown.table} in spec.objects, or remove it from the request`,
      );
    const initialization = plan?.progress;
    // Pending from the moment it is known to be due (tables are counted once it starts), so
    // /report never shows a streaming job with initialization still to do as having none.
    if (plan && plan.copy.length > 0)
      opts.report.setInitialization({
        tablesTotal: plan.copy.length,
        tablesDone: 0,
        rows: 0,
        done: false,
        tables: [],
      });
    const pinned = await pinStart(resumeAt.start, control, sink, offsets, initialization, serverId, flavor);
    const resume = stored ?? pinned.offset;
    log.info(
      { resume: resume?.binlog ?? pinned.start, exactlyOnce },
      stored ? 'Resuming from stored offset' : 'Starting job',
    );

    const routing = planRouting(job.spec.objects, target.topic);
    // Tables renamed into the selection while streaming are copied like added ones.
    const entered: string[] = [];
    const enter = (tables: string[]) => {
      if (!init.data) for (const t of tables) pipeline?.tableInitialized(t);
      else if (initializer) initializer.add(tables);
      else entered.push(...tables);
    };
    pipeline = await createPipeline({
      routing,
      partitioning: target.partitioning,
      sink,
      metrics,
      logger: log.child({ component: 'pipeline' }),
      format: createRecordFormat(
        { format: target.format, canalTypes: target.canalJson?.types },
        { sourceVersion: flavor.version, now: Date.now },
      ),
      emitDdl: job.spec.ddl.emit,
      report: opts.report,
      offsets,
      resume,
      streamFrom:
        pinned.start.mode === 'file' ? { file: pinned.start.file, offset: pinned.start.position } : null,
      gtidPos: await startGtidPosition(resume, pinned.start, control, flavor),
      serverId,
      initialization,
      onTablesEntered: enter,
      lag: opts.report.lag,
      health,
      queueBytes: QUEUE_BYTES,
      batchMaxRecords: BATCH_MAX_RECORDS,
      batchMaxBytes: BATCH_MAX_BYTES,
      // Initialization is done when Kafka holds an offset with every table copied, and no table
      // entered since.
      onAcknowledged: (offset) => {
        const init = opts.report.snapshot().initialization;
        if (
          init &&
          !init.done &&
          offset.snapshot &&
          initializationComplete(offset.snapshot) &&
          !p.copyingAny()
        )
          opts.report.setInitialization({ ...init, done: true, tables: [] });
      },
    });
    const p = pipeline;
    // Connections that read tables and their columns, set up as the source's flavour asks.
    const openTableReader = async () => {
      const c = await mysql.createConnection(connection);
      await prepareSourceSession(c);
      return c;
    };
    reader = createBinlogReader({
      connection,
      serverId: effectiveServerId(job),
      flavor,
      start: pinned.start,
      includeSchema: routing.includeSchema,
      loadTable: createTableCodecLoader(control, log.child({ component: 'schema' }), flavor),
      handler: p.handler,
      logger: log.child({ component: 'binlog' }),
    });
    const r = reader;
    p.onBackPressure(
      () => r.pause(),
      () => r.resume(),
    );
    running = toKafka(p.run());
    const aborted = new Promise<void>((resolve) =>
      attempt.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    if (plan) await emitStructure({ pipeline: p, connect: openTableReader }, plan.describe);
    await source(r.start());
    health.healthy('source');
    setStreaming(opts, true);
    // Initialization runs beside the stream; only its failure ends the race below.
    if (initialization && init.data) {
      initializer = startInitialization({
        pipeline: p,
        connect: openTableReader,
        connection,
        progress: initialization,
        chunkSize: init.chunkSize,
        parallelism: init.parallelism,
        metrics,
        report: opts.report,
        logger: log.child({ component: 'initialization' }),
        signal: attempt.signal,
      });
      initializer.add([...(plan?.copy ?? []), ...entered.splice(0)]);
    }
    const initializing = initializer?.failed ?? new Promise<never>(() => undefined);
    const reportTimer = setInterval(() => {
      const acked = p.acknowledged();
      if (acked !== resume) progressed();
      opts.report.setPosition(acked?.binlog ?? null);
    }, 1000);
    try {
      await Promise.race([running, source(r.failed), aborted, source(initializing)]);
    } finally {
      clearInterval(reportTimer);
    }
    log.info('Stopping stream');
  } finally {
    setStreaming(opts, false);
    stopAttempt();
    opts.signal.removeEventListener('abort', stopAttempt);
    await reader?.stop();
    pipeline?.stop();
    // Everything already read is still written, so a restart resumes after it.
    await running?.catch(() => undefined);
    // The stopped pipeline refuses initialization's next step, so it ends and closes its
    // connections before the next attempt starts one of its own.
    await initializer?.idle();
    opts.report.setPosition(pipeline?.acknowledged()?.binlog ?? null);
    await sink.close();
    // COM_QUIT waits for the server: through a dead link it would wait forever.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, QUIT_WAIT_MS);
      void control
        .end()
        .catch(() => undefined)
        .finally(() => {
          clearTimeout(timer);
          resolve();
        });
    });
    control.destroy();
  }
}

function setStreaming(opts: WorkerOptions, streaming: boolean) {
  opts.report.setStreaming(streaming);
  opts.onStreaming?.(streaming);
}
