// The worker's streaming pipeline: source handler → record format → bounded queue → sink loop
// (sink-loop.ts). The reader calls the handler synchronously in binlog order; each queued entry
// carries what the job offset would be if a write ended there.

import { BinlogFidelityError, ConfigError, type SyncError, TableGoneError } from '../errors.ts';
import { objectName } from '../format/dts-avro/record.ts';
import type { RecordFormat, TableEncoder } from '../format/record-format.ts';
import type { Logger } from '../log.ts';
import { encodeJobOffset, type JobOffset, type SnapshotProgress } from '../offsets/job-offset.ts';
import { choosePartition, type PartitioningMode } from '../sink/partitioner.ts';
import type { RecordSink, SinkMessage } from '../sink/record-sink.ts';
import type { BinlogHandler } from '../source/binlog/binlog-reader.ts';
import { advanceGtidPosition } from '../source/binlog/gtid-position.ts';
import { comparePositions, type FileOffset } from '../source/binlog/position-order.ts';
import type { RowChange, SourcePosition, TableSchema } from '../source/row-change.ts';
import { createBoundedQueue } from './bounded-queue.ts';
import { ddlDestination, ddlEffects } from './ddl-routing.ts';
import type { Health } from './health.ts';
import { initializationComplete, progressAfterDdl } from './initialization-plan.ts';
import type { LagClock } from './lag.ts';
import type { WorkerMetrics } from './metrics.ts';
import { createOffsetTracker, jobOffsetAt } from './offset-tracker.ts';
import { partitionKeyFor, recordKeyFor } from './record-key.ts';
import type { WorkerReport } from './report.ts';
import type { Routing, TableRoute } from './routing.ts';
import { runSinkLoop } from './sink-loop.ts';
import { bytesAt, cursorAt, type EncodedChunk, identitiesOf, type Placement } from './snapshot-encoding.ts';
import { openSnapshotWindow, type SnapshotWindow } from './snapshot-window.ts';
import { filteredChange, type RowMatcher, rowMatcher } from './table-filter.ts';

export interface PipelineOptions {
  routing: Routing;
  partitioning: PartitioningMode;
  sink: RecordSink;
  metrics: WorkerMetrics;
  logger: Logger;
  /** What records are written as (target.format). */
  format: RecordFormat;
  emitDdl: boolean;
  report: WorkerReport;
  /** Where the job offset is written: the offsets topic and this job's key in it. */
  offsets: { topic: string; key: Buffer };
  /** The offset this run resumes from (stored, or pinned at the first start), if any. */
  resume: JobOffset | null;
  /** Where the binlog stream starts, when known before its first event. */
  streamFrom: FileOffset | null;
  /** GTID position (or MySQL GTID set) where the stream starts; undefined: not tracked. */
  gtidPos: string | undefined;
  /** @@server_id of the source, stored with each offset. */
  serverId: number | undefined;
  /** Which tables are initialized and how far the others are; undefined when the job initializes nothing. */
  initialization: SnapshotProgress | undefined;
  /** Told of tables that entered the selection while streaming (renamed into it): to be copied. */
  onTablesEntered?: (tables: string[]) => void;
  /** Bytes buffered between reader and sink before the reader pauses. */
  queueBytes: number;
  batchMaxRecords: number;
  batchMaxBytes: number;
  /** Told of each job offset once Kafka acknowledged it. */
  onAcknowledged?: (offset: JobOffset) => void;
  /** The job's lag, advanced by acknowledgements and by heartbeats once everything is acknowledged. */
  lag: LagClock;
  /** Where a write Kafka does not acknowledge in time is shown. */
  health: Health;
  now?: () => number;
}

/**
 * A queue entry: a record (message set), or the end of a source transaction (message null).
 * `rowsDone` counts the row changes of the source transaction up to this one, filtered ones
 * included, and `nextId` the record ids used up to it: together with the position they are the
 * job offset if a batch ends here.
 */
interface Entry {
  message: SinkMessage | null;
  operation: string;
  position: SourcePosition;
  rowsDone: number;
  nextId: number;
  /** GTID position (or MySQL GTID set) of the source transactions complete at this entry. */
  gtidPos: string | undefined;
  /** Initialization progress up to this entry (INIT rows: the base plus this row's cursor). */
  snapshot: ProgressAt;
}

/**
 * Snapshot progress as of an entry, built lazily: only a batch's last entry becomes an offset.
 * An INIT row's cursor is decoded from its chunk then.
 */
type ProgressAt =
  | SnapshotProgress
  | undefined
  | { base: SnapshotProgress; table: string; chunk: EncodedChunk; row: number };

const progressOf = (p: ProgressAt): SnapshotProgress | undefined =>
  p === undefined || !('base' in p)
    ? p
    : {
        ...p.base,
        tables: {
          ...p.base.tables,
          [p.table]: {
            ...p.base.tables[p.table],
            cursor: cursorAt(p.chunk, p.row),
          },
        },
      };

export interface Pipeline {
  handler: BinlogHandler;
  /**
   * Starts recording the keys the stream touches in `table` (`db.table`); before a chunk's SELECT.
   * A table may have several windows open (the next chunk read while one waits); they close in
   * the order they opened. Throws PipelineStoppedError once the pipeline stopped: no window
   * outlives its pipeline.
   */
  openWindow(table: string, keyIndexes: readonly number[]): SnapshotWindow;
  /**
   * The chunk read in that window, with the binlog end noted after it. Resolves once the stream
   * has passed that high watermark (between transactions) and the surviving rows are queued as
   * INIT records.
   */
  closeWindow(window: SnapshotWindow, schema: TableSchema, chunk: EncodedChunk): Promise<void>;
  /** Where rows of a table go in Kafka (what a snapshot thread keys and partitions by); null: not selected. */
  placement(database: string, table: string): Placement | null;
  /** A DDL record for structure initialization (SHOW CREATE TABLE), before the table's rows. */
  structure(database: string, table: string, sql: string): void;
  /** Marks a table's copy complete in the offsets. */
  tableInitialized(table: string): void;
  /** Whether a table is still to be copied (a DDL of the stream may have settled it meanwhile). */
  copying(table: string): boolean;
  /** Whether any table is still to be copied. */
  copyingAny(): boolean;
  /**
   * Resolves when the queue has room (below its low-water mark): initialization reads no faster
   * than Kafka takes. Rejects once the pipeline stopped (PipelineStoppedError).
   */
  room(): Promise<void>;
  /** Wires back-pressure to the reader. */
  onBackPressure(pause: () => void, resume: () => void): void;
  /** Resolves when stopped and drained; rejects when the sink fails. */
  run(): Promise<void>;
  /** Stops taking new changes; run() resolves once everything queued is acknowledged. */
  stop(): void;
  /** The job offset Kafka last acknowledged (null before the first write). */
  acknowledged(): JobOffset | null;
}

/** The pipeline of this attempt stopped (its sink failed, or the worker stops); a retry builds a new one. */
export class PipelineStoppedError extends Error {
  constructor() {
    super('the pipeline stopped');
    this.name = 'PipelineStoppedError';
  }
}

interface TablePlan {
  /** `db.table`, as windows and progress name it. */
  name: string;
  route: TableRoute | null;
  /** Null when the table is not selected. */
  encoder: TableEncoder | null;
  key: (change: RowChange) => string | null;
  /** What the partition is hashed from when not the key: the tables[].partitionKey columns. */
  partitionBy: ((change: RowChange) => string | null) | null;
  /** tables[].filter over this table's columns; null: every row. */
  matches: RowMatcher | null;
}

export async function createPipeline(opts: PipelineOptions): Promise<Pipeline> {
  const now = opts.now ?? Date.now;
  const { metrics } = opts;
  const partitions = new Map<string, number>();
  for (const topic of opts.routing.topics) partitions.set(topic, await opts.sink.partitions(topic));

  let pause = () => {};
  let resume = () => {};
  let stopped = false;
  // Initialization waits here while the queue is above its low-water mark.
  let roomWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  const queue = createBoundedQueue<Entry>({
    highWaterBytes: opts.queueBytes,
    lowWaterBytes: Math.floor(opts.queueBytes / 2),
    onPause: () => {
      metrics.readerPaused.set(1);
      metrics.readerPauses.inc();
      pause();
    },
    onResume: () => {
      metrics.readerPaused.set(0);
      resume();
      const waiting = roomWaiters;
      roomWaiters = [];
      for (const w of waiting) w.resolve();
    },
  });

  // Table schemas are stable objects per table shape, so per-table work is done once.
  const plans = new WeakMap<TableSchema, TablePlan>();
  const planFor = (table: TableSchema): TablePlan => {
    let plan = plans.get(table);
    if (!plan) {
      const route = opts.routing.route(table.database, table.table);
      plan = {
        name: `${table.database}.${table.table}`,
        route,
        encoder: route
          ? opts.format.table(table, {
              database: route.targetDatabase,
              table: route.targetTable,
              objectName: route.objectName,
            })
          : null,
        key: route ? recordKeyFor(table, route.objectName) : () => null,
        partitionBy: route?.partitionKey
          ? partitionKeyFor(table, route.objectName, route.partitionKey)
          : null,
        matches: null,
      };
      if (route?.filter) {
        try {
          plan.matches = rowMatcher(route.filter, table, route.objectName);
        } catch (err) {
          throw err instanceof ConfigError ? stopWith(err) : err;
        }
      }
      plans.set(table, plan);
    }
    return plan;
  };

  const context = createOffsetTracker(opts.resume);
  let acked: JobOffset | null = opts.resume;
  let gtidPos = opts.gtidPos;
  let progress: SnapshotProgress | undefined = opts.initialization;
  // Where the stream is between transactions: INIT records and markers are positioned here.
  let streamAt: SourcePosition | null = opts.streamFrom
    ? { ...opts.streamFrom, gtid: opts.resume?.binlog.gtid ?? '', timestamp: 0 }
    : null;
  // In the order they opened, which per table is chunk order.
  const windows = new Map<
    SnapshotWindow,
    { schema?: TableSchema; chunk?: EncodedChunk; flushed?: () => void; stopped?: (err: Error) => void }
  >();

  // Queued and not yet acknowledged: a heartbeat means "caught up" only when this is 0.
  let unacked = 0;
  const enqueue = (
    message: SinkMessage,
    operation: string,
    position: SourcePosition,
    snapshot: ProgressAt,
  ) => {
    unacked++;
    queue.push(
      {
        message,
        operation,
        position,
        rowsDone: context.rowsDone,
        nextId: context.nextId,
        gtidPos,
        snapshot,
      },
      message.value.length + (message.key?.length ?? 0) + 64,
    );
  };

  const push = (
    topic: string,
    objName: string,
    key: string | null,
    value: Buffer,
    operation: string,
    position: SourcePosition,
    partitionBy: string | null = key,
  ) => {
    const partition = choosePartition(opts.partitioning, partitions.get(topic) ?? 1, objName, partitionBy);
    enqueue(
      { topic, partition, key: key === null ? null : Buffer.from(key), value },
      operation,
      position,
      progress,
    );
  };

  /** Queues a point between source transactions (a COMMIT, a marker) that an offset may end at. */
  const boundary = (operation: string, position: SourcePosition) => {
    unacked++;
    queue.push(
      {
        message: null,
        operation,
        position,
        rowsDone: 0,
        nextId: context.nextId,
        gtidPos,
        snapshot: progress,
      },
      0,
    );
  };

  /** Reports a terminal error the stream stops with; thrown by the caller. */
  const stopWith = (err: SyncError) => {
    opts.report.raise(err.reason, err.message, err.fix);
    return err;
  };

  const olderThanCopy = (table: string, position: FileOffset) => {
    const from = progress?.tables[table]?.from;
    return from !== undefined && comparePositions(position, from) < 0;
  };

  const marker = (operation: string) => {
    if (streamAt) boundary(operation, streamAt);
  };

  /** Queues a window's surviving rows as INIT records once the stream passed its high mark, between transactions. */
  function flushReady() {
    if (context.rowsDone > 0 || streamAt === null) return;
    // A table's later window waits for its earlier one: INIT rows stay in key order.
    const waiting = new Set<string>();
    for (const [window, w] of windows) {
      const high = window.high();
      if (waiting.has(window.table) || !w.flushed || !high || comparePositions(streamAt, high) < 0) {
        waiting.add(window.table);
        continue;
      }
      windows.delete(window);
      const chunk = w.chunk!;
      const { route, encoder } = planFor(w.schema!);
      if (route && encoder) {
        const base = progress ?? { tables: {}, initialized: [] };
        // INIT records are stamped with when they were read; their position is the stream's.
        const at = { ...streamAt, timestamp: Math.floor(now() / 1000) };
        const initRecord = encoder.snapshotRows(at);
        let copied: ProgressAt;
        for (const row of window.survivors()) {
          const message = {
            topic: route.topic,
            partition: chunk.partitions[row]!,
            key: chunk.keys ? bytesAt(chunk.keys, row) : null,
            value: initRecord(context.takeId(), bytesAt(chunk.images, row)),
          };
          copied = { base, table: window.table, chunk, row };
          enqueue(message, 'INIT', at, copied);
        }
        // What is queued after these rows (commits, markers) carries their cursor too: an offset
        // written there resumes the table after them instead of copying them again.
        if (copied !== undefined) progress = progressOf(copied);
      }
      w.flushed();
    }
  }

  const reached = (position: SourcePosition) => {
    streamAt = position;
    if (windows.size > 0) flushReady();
  };

  const handler: BinlogHandler = {
    change(change) {
      const plan = planFor(change.table);
      // A change logged before the table's copy began is older than every row the copy reads:
      // the copy's row stands. Incomplete images never touch: they are not written.
      const settled = olderThanCopy(plan.name, change.position);
      if (windows.size > 0 && !settled && !change.partial) {
        for (const window of windows.keys()) {
          if (window.table !== plan.name) continue;
          window.touch(change.before);
          window.touch(change.after);
        }
      }
      if (!context.fresh(change.position)) return;
      const { route, encoder } = plan;
      if (!route || !encoder) return;
      // Logged while the row image was not FULL: covered when a copy that reads the row as it is
      // now began after it (the documented fix), else the job stops before writing a wrong image.
      if (change.partial) {
        if (settled) return;
        throw stopWith(new BinlogFidelityError('rowImage', route.objectName));
      }
      // Filtered before the DML choice: an UPDATE out of the filter is the consumer's DELETE.
      const shown = plan.matches ? filteredChange(change, plan.matches) : change;
      if (!shown) return;
      const op = shown.operation;
      if (
        (op === 'INSERT' && !route.dml.insert) ||
        (op === 'UPDATE' && !route.dml.update) ||
        (op === 'DELETE' && !route.dml.delete)
      ) {
        return;
      }
      const value = encoder.row(shown, context.takeId());
      const key = plan.key(shown);
      push(
        route.topic,
        route.objectName,
        key,
        value,
        op,
        shown.position,
        plan.partitionBy ? plan.partitionBy(shown) : key,
      );
    },
    commit(position) {
      context.endTransaction();
      if (gtidPos !== undefined) gtidPos = advanceGtidPosition(gtidPos, position.gtid);
      boundary('COMMIT', position);
      reached(position);
    },
    between(position) {
      if (context.rowsDone === 0) reached(position);
    },
    heartbeat() {
      if (unacked === 0) opts.lag.caughtUp(now());
    },
    statement({ tables, position }) {
      for (const ref of tables) {
        const route = opts.routing.route(ref.database, ref.table);
        if (route && !olderThanCopy(`${ref.database}.${ref.table}`, position))
          throw stopWith(new BinlogFidelityError('format', route.objectName));
      }
    },
    ddl({ sql, target, position }) {
      if (!context.fresh(position)) return;
      if (progress) {
        const after = progressAfterDdl(
          progress,
          target,
          (t) => opts.routing.route(t.database, t.table) !== null,
          position,
        );
        progress = after.progress;
        if (after.entered.length > 0) opts.onTablesEntered?.(after.entered);
      }
      for (const effect of ddlEffects(opts.routing, target)) {
        if (effect.kind === 'stop') throw stopWith(new TableGoneError(effect.objectName));
        opts.report.raise(effect.reason, effect.message);
        if (effect.kind === 'warn') opts.logger.warn(effect.details, effect.message);
      }
      if (!opts.emitDdl) return;
      const dest = ddlDestination(opts.routing, target);
      if (!dest) return;
      const value = opts.format.ddl(
        { database: dest.database, table: dest.table, sql, position },
        context.takeId(),
      );
      // No key: under key partitioning DDL goes to partition 0, as the reference service does.
      push(dest.topic, objectName(dest.database, dest.table), null, value, 'DDL', position);
    },
  };

  const offsetMessage = (offset: JobOffset): SinkMessage => ({
    topic: opts.offsets.topic,
    partition: 0,
    key: opts.offsets.key,
    value: encodeJobOffset(offset),
  });

  const run = () =>
    runSinkLoop({
      queue,
      sink: opts.sink,
      offsetAt: (entry: Entry) => {
        const offset = jobOffsetAt({
          ...entry,
          snapshot: progressOf(entry.snapshot),
          serverId: opts.serverId,
        });
        return { offset, message: offsetMessage(offset) };
      },
      acknowledged: (offset, entries) => {
        unacked -= entries;
        acked = offset;
        opts.onAcknowledged?.(offset);
      },
      metrics,
      lag: opts.lag,
      health: opts.health,
      batchMaxRecords: opts.batchMaxRecords,
      batchMaxBytes: opts.batchMaxBytes,
      now,
    });

  return {
    handler,
    openWindow(table, keyIndexes) {
      if (stopped) throw new PipelineStoppedError();
      const window = openSnapshotWindow(table, keyIndexes);
      windows.set(window, {});
      return window;
    },
    closeWindow(window, schema, chunk) {
      return new Promise<void>((resolve, reject) => {
        if (stopped) throw new PipelineStoppedError();
        const w = windows.get(window);
        if (!w) throw new Error(`the snapshot window on ${window.table} is not open`);
        window.fill(chunk.count, identitiesOf(schema, chunk), chunk.high);
        Object.assign(w, { schema, chunk, flushed: resolve, stopped: reject });
        flushReady();
      });
    },
    placement(database, table) {
      const route = opts.routing.route(database, table);
      if (!route) return null;
      const count = partitions.get(route.topic) ?? 1;
      return {
        format: opts.format.name,
        objectName: route.objectName,
        partitioning: opts.partitioning,
        partitions: count,
        ...(route.partitionKey ? { partitionKey: route.partitionKey } : {}),
        ...(route.filter ? { filter: route.filter } : {}),
      };
    },
    structure(database, table, sql) {
      const route = opts.routing.route(database, table);
      if (!route) return;
      // Before the stream's first event (a GTID start) there is no position yet: file "" at 0
      // stands for "the start"; the job's first real offset replaces it.
      const at = { ...(streamAt ?? { file: '', offset: 0, gtid: '' }), timestamp: Math.floor(now() / 1000) };
      const value = opts.format.ddl(
        { database: route.targetDatabase, table: route.targetTable, sql, position: at },
        context.takeId(),
      );
      push(route.topic, route.objectName, null, value, 'DDL', at);
    },
    room() {
      if (stopped) return Promise.reject(new PipelineStoppedError());
      return queue.stats().paused
        ? new Promise<void>((resolve, reject) => roomWaiters.push({ resolve, reject }))
        : Promise.resolve();
    },
    tableInitialized(table) {
      if (!progress) return;
      const { [table]: _done, ...copying } = progress.tables;
      const initialized = progress.initialized.includes(table)
        ? progress.initialized
        : [...progress.initialized, table];
      progress = { ...progress, tables: copying, initialized };
      marker('SNAPSHOT');
    },
    copying: (table) => progress?.tables[table] !== undefined,
    copyingAny: () => progress !== undefined && !initializationComplete(progress),
    onBackPressure(p, r) {
      pause = p;
      resume = r;
    },
    run,
    stop() {
      stopped = true;
      queue.close();
      // Whoever waits for room or for a window's flush gives up (and closes its connection).
      for (const w of roomWaiters) w.reject(new PipelineStoppedError());
      roomWaiters = [];
      for (const w of windows.values()) w.stopped?.(new PipelineStoppedError());
      windows.clear();
    },
    acknowledged: () => acked,
  };
}
