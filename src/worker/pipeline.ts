// The worker's streaming pipeline: source handler → DTS-Avro encoder → bounded queue → sink.
// The reader calls the handler synchronously in binlog order; the sink loop drains the queue in
// batches, one acknowledged send at a time, so the order of a partition is the binlog order.
import { encodeRecord } from '../format/dts-avro/codec.ts';
import { ddlRecord, objectName, rowRecord } from '../format/dts-avro/record.ts';
import type { Logger } from '../log.ts';
import { choosePartition, type PartitioningMode } from '../sink/partitioner.ts';
import type { RecordSink, SinkMessage } from '../sink/record-sink.ts';
import type { BinlogHandler } from '../source/binlog/binlog-reader.ts';
import type { DdlTarget } from '../source/binlog/ddl-target.ts';
import type { RowChange, SourcePosition, TableSchema } from '../source/row-change.ts';
import { createBoundedQueue } from './bounded-queue.ts';
import type { WorkerMetrics } from './metrics.ts';
import { recordKeyFor } from './record-key.ts';
import type { WorkerReport } from './report.ts';
import type { Routing, TableRoute } from './routing.ts';

export interface PipelineOptions {
  routing: Routing;
  partitioning: PartitioningMode;
  sink: RecordSink;
  metrics: WorkerMetrics;
  logger: Logger;
  sourceVersion: string;
  emitDdl: boolean;
  report: WorkerReport;
  /** Bytes buffered between reader and sink before the reader pauses. */
  queueBytes: number;
  batchMaxRecords: number;
  batchMaxBytes: number;
  now?: () => number;
}

/** A queue entry: a Kafka message, or the end of a source transaction (message null). */
interface Entry {
  message: SinkMessage | null;
  operation: string;
  position: SourcePosition;
}

export interface Pipeline {
  handler: BinlogHandler;
  /** Wires back-pressure to the reader. */
  onBackPressure(pause: () => void, resume: () => void): void;
  /** Resolves when stopped and drained; rejects when the sink fails. */
  run(): Promise<void>;
  /** Stops taking new changes; run() resolves once everything queued is acknowledged. */
  stop(): void;
  /** The last source position whose transaction Kafka acknowledged. */
  acknowledged(): SourcePosition | null;
}

interface TablePlan {
  route: TableRoute | null;
  key: (change: RowChange) => string | null;
}

export async function createPipeline(opts: PipelineOptions): Promise<Pipeline> {
  const now = opts.now ?? Date.now;
  const { metrics } = opts;
  const partitions = new Map<string, number>();
  for (const topic of opts.routing.topics) partitions.set(topic, await opts.sink.partitions(topic));

  let pause = () => {};
  let resume = () => {};
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
    },
  });

  // Table schemas are stable objects per table shape, so per-table work is done once.
  const plans = new WeakMap<TableSchema, TablePlan>();
  const planFor = (table: TableSchema): TablePlan => {
    let plan = plans.get(table);
    if (!plan) {
      const route = opts.routing.route(table.database, table.table);
      plan = { route, key: route ? recordKeyFor(table, route.objectName) : () => null };
      plans.set(table, plan);
    }
    return plan;
  };

  let nextId = 1;
  let acked: SourcePosition | null = null;

  const push = (
    topic: string,
    objName: string,
    key: string | null,
    value: Buffer,
    operation: string,
    position: SourcePosition,
  ) => {
    const partition = choosePartition(opts.partitioning, partitions.get(topic) ?? 1, objName, key);
    const message = { topic, partition, key: key === null ? null : Buffer.from(key), value };
    queue.push({ message, operation, position }, value.length + (key?.length ?? 0) + 64);
  };

  const handler: BinlogHandler = {
    change(change) {
      const plan = planFor(change.table);
      const route = plan.route;
      if (!route) return;
      const op = change.operation;
      if (
        (op === 'INSERT' && !route.dml.insert) ||
        (op === 'UPDATE' && !route.dml.update) ||
        (op === 'DELETE' && !route.dml.delete)
      ) {
        return;
      }
      const record = rowRecord(change, {
        id: nextId++,
        objectName: route.objectName,
        sourceVersion: opts.sourceVersion,
      });
      push(route.topic, route.objectName, plan.key(change), encodeRecord(record), op, change.position);
    },
    commit(position) {
      queue.push({ message: null, operation: 'COMMIT', position }, 0);
    },
    ddl({ sql, target, position }) {
      reportRenames(target);
      if (!opts.emitDdl) return;
      const dest = ddlDestination(target);
      if (!dest) return;
      const record = ddlRecord(
        { database: dest.database, table: dest.table, sql, position },
        { id: nextId++, sourceVersion: opts.sourceVersion },
      );
      // No key: under key partitioning DDL goes to partition 0, as the reference service does.
      push(dest.topic, objectName(dest.database, dest.table), null, encodeRecord(record), 'DDL', position);
    },
  };

  /** A table renamed out of the selection stops syncing; say so rather than go quiet. */
  function reportRenames(target: DdlTarget) {
    if (target.kind !== 'rename') return;
    for (const { from, to } of target.renames) {
      const was = opts.routing.route(from.database, from.table);
      if (was && !opts.routing.route(to.database, to.table)) {
        const message = `table ${from.database}.${from.table} was renamed to ${to.database}.${to.table}, which is not selected: ${was.objectName} no longer syncs`;
        opts.report.raise('TableRenamedOutOfSelection', message);
        opts.logger.warn({ from, to }, message);
      }
    }
  }

  /** Where a DDL record goes: the first selected table it touches, or a selected database. */
  function ddlDestination(
    target: DdlTarget,
  ): { database: string; table: string | null; topic: string } | null {
    const defaultTopic = opts.routing.topics[0]!;
    if (target.kind === 'database') {
      const db = opts.routing.targetDatabase(target.database);
      return db === null ? null : { database: db, table: null, topic: defaultTopic };
    }
    const refs =
      target.kind === 'rename'
        ? target.renames.map((r) => r.from)
        : target.kind === 'other'
          ? []
          : target.tables;
    for (const ref of refs) {
      const route = opts.routing.route(ref.database, ref.table);
      if (route) return { database: route.targetDatabase, table: route.targetTable, topic: route.topic };
    }
    return null;
  }

  async function run(): Promise<void> {
    for (;;) {
      const batch = await queue.take(opts.batchMaxRecords, opts.batchMaxBytes);
      if (batch.length === 0) return;
      const messages: SinkMessage[] = [];
      let bytes = 0;
      for (const e of batch) {
        if (e.message) {
          messages.push(e.message);
          bytes += e.message.value.length;
        }
      }
      const started = performance.now();
      await opts.sink.send(messages);
      metrics.sendDuration.observe((performance.now() - started) / 1000);
      metrics.bytes.inc(bytes);
      const nowSeconds = now() / 1000;
      // Counted per batch: a labelled counter lookup per row would cost more than the row.
      const byOperation: Record<string, number> = {};
      for (const e of batch) {
        if (e.message) {
          byOperation[e.operation] = (byOperation[e.operation] ?? 0) + 1;
        } else {
          acked = e.position;
          metrics.transactions.inc();
          metrics.commitToAckSeconds.observe(Math.max(0, nowSeconds - e.position.timestamp));
        }
      }
      for (const [operation, n] of Object.entries(byOperation)) metrics.events.inc({ operation }, n);
      if (acked) metrics.lagSeconds.set(Math.max(0, nowSeconds - acked.timestamp));
      const stats = queue.stats();
      metrics.queueDepth.set(stats.items);
      metrics.queueBytes.set(stats.bytes);
    }
  }

  return {
    handler,
    onBackPressure(p, r) {
      pause = p;
      resume = r;
    },
    run,
    stop: () => queue.close(),
    acknowledged: () => acked,
  };
}
