// Full-data (and optionally structure) initialization, lock-free and resumable: each selected table
// is read in key-ordered chunks, one short autocommit SELECT each, interleaved with the live binlog
// stream through snapshot windows (snapshot-window.ts). Progress rides in the job offset, so a
// restarted worker continues after the last chunk row Kafka holds. Needs only SELECT and the
// binlog grants.
import type mysql from 'mysql2/promise';
import type { Logger } from '../log.ts';
import type { SnapshotProgress } from '../offsets/job-offset.ts';
import { loadTableSchema } from '../source/mysql/load-table-schema.ts';
import type { TableSchema } from '../source/row-change.ts';
import type { ChunkCursor } from '../source/snapshot/chunk-plan.ts';
import { showCreateTable } from '../source/snapshot/show-create.ts';
import type { MysqlConnectionOptions } from './connections.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Pipeline } from './pipeline.ts';
import type { WorkerReport } from './report.ts';
import type { ObjectSelector } from './routing.ts';
import type { EncodedChunk, Placement } from './snapshot-encoding.ts';
import { type SnapshotReader, startSnapshotReader } from './snapshot-reader.ts';
import type { SnapshotWindow } from './snapshot-window.ts';

export interface InitializationOptions {
  pipeline: Pipeline;
  /** A new connection to the source (schemas). */
  connect: () => Promise<mysql.Connection>;
  /** What snapshot threads connect with. */
  connection: MysqlConnectionOptions;
  /** The progress the job resumes from (cursors of tables being copied). */
  progress: SnapshotProgress;
  chunkSize: number;
  parallelism: number;
  metrics: WorkerMetrics;
  report: WorkerReport;
  logger: Logger;
  signal: AbortSignal;
}

/** The selected tables that exist now, as `[database, table]`; tables created later need no snapshot. */
export async function selectedTables(
  conn: mysql.Connection,
  objects: readonly ObjectSelector[],
): Promise<[string, string][]> {
  const tables: [string, string][] = [];
  for (const obj of objects) {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
      [obj.database],
    );
    const existing = new Set(rows.map((r) => r.t as string));
    const wanted = obj.tables ? obj.tables.map((t) => t.name) : [...existing];
    for (const t of wanted) if (existing.has(t)) tables.push([obj.database, t]);
  }
  return tables;
}

async function withConnection<T>(
  connect: () => Promise<mysql.Connection>,
  use: (conn: mysql.Connection) => Promise<T>,
): Promise<T> {
  const conn = await connect();
  try {
    return await use(conn);
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/**
 * Structure initialization: one DDL record (SHOW CREATE TABLE) per table (`db.table`), queued
 * before the binlog stream starts, so no change of a table precedes its structure.
 */
export async function emitStructure(
  opts: Pick<InitializationOptions, 'pipeline' | 'connect'>,
  tables: readonly string[],
): Promise<void> {
  if (tables.length === 0) return;
  await withConnection(opts.connect, async (conn) => {
    for (const table of tables) {
      const [db, name] = splitTable(table);
      opts.pipeline.structure(db, name, await showCreateTable(conn, db, name));
    }
  });
}

const splitTable = (table: string): [string, string] => {
  const dot = table.indexOf('.');
  return [table.slice(0, dot), table.slice(dot + 1)];
};

export interface Initializer {
  /** Queues tables (`db.table`) to copy; lanes start as needed. */
  add(tables: readonly string[]): void;
  /** Rejects when a copy fails (the attempt ends; the next one resumes from the offsets). */
  readonly failed: Promise<never>;
  /** Resolves once every lane ended (after the attempt's signal, or with nothing left to copy). */
  idle(): Promise<void>;
}

/**
 * Copies tables' rows, up to `parallelism` at a time, each lane with its own snapshot thread and
 * connection; tables may be added while it runs (a table renamed into the selection).
 */
export function startInitialization(opts: InitializationOptions): Initializer {
  const log = opts.logger;
  const queue: string[] = [];
  const lanes = new Set<Promise<void>>();
  const copied = new Map<string, number>();
  let tablesTotal = 0;
  let tablesDone = 0;
  let rows = 0;
  let rejectFailed: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    rejectFailed = reject;
  });
  failed.catch(() => undefined);

  const publish = () => {
    // `done` turns true only once Kafka acknowledged the last table (worker.ts, onAcknowledged).
    opts.report.setInitialization({
      tablesTotal,
      tablesDone,
      rows,
      done: false,
      tables: [...copied].map(([table, n]) => ({ table, rows: n })),
    });
    opts.metrics.initTablesDone.set(tablesDone);
    opts.metrics.initTablesTotal.set(tablesTotal);
  };

  // The next chunk is read (its window open) while the pipeline waits to queue the last one, so
  // the thread's reading and encoding overlap the queueing.
  const copyRows = async (
    reader: SnapshotReader,
    table: string,
    schema: TableSchema,
    placement: Placement,
  ) => {
    const { keyIndexes, warning } = await reader.open(schema, placement);
    if (warning) opts.report.raise('TableWithoutUsableKey', `${table}: ${warning}`);
    const readAfter = async (cursor: ChunkCursor | null) => {
      await opts.pipeline.room();
      const window = opts.pipeline.openWindow(table, keyIndexes);
      const chunk = reader.read(cursor, opts.chunkSize);
      chunk.catch(() => undefined);
      return { window, chunk };
    };
    let next: { window: SnapshotWindow; chunk: Promise<EncodedChunk> } | null = await readAfter(
      (opts.progress.tables[table]?.cursor ?? null) as ChunkCursor | null,
    );
    while (next && !opts.signal.aborted) {
      const { window } = next;
      const chunk: EncodedChunk = await next.chunk;
      // A DDL of the stream may have settled the table meanwhile (dropped, renamed).
      next = chunk.last === null || !opts.pipeline.copying(table) ? null : await readAfter(chunk.last);
      await opts.pipeline.closeWindow(window, schema, chunk);
      rows += chunk.count;
      copied.set(table, (copied.get(table) ?? 0) + chunk.count);
      opts.metrics.initRows.inc(chunk.count);
      publish();
    }
  };

  const copyTable = async (reader: SnapshotReader, table: string) => {
    const [db, name] = splitTable(table);
    const placement = opts.pipeline.placement(db, name);
    copied.set(table, 0);
    publish();
    if (placement && opts.pipeline.copying(table)) {
      const schema = await withConnection(opts.connect, (conn) => loadTableSchema(conn, db, name));
      await copyRows(reader, table, schema, placement);
    }
    if (opts.signal.aborted) return;
    tablesDone++;
    copied.delete(table);
    if (opts.pipeline.copying(table)) opts.pipeline.tableInitialized(table);
    publish();
    log.info({ table, tablesDone, tablesTotal, rows }, 'Initialized table');
  };

  const lane = async () => {
    const reader = startSnapshotReader(opts.connection);
    try {
      for (let next = queue.shift(); next && !opts.signal.aborted; next = queue.shift())
        await copyTable(reader, next);
    } finally {
      await reader.close();
    }
  };

  return {
    add(tables) {
      if (tables.length === 0) return;
      queue.push(...tables);
      tablesTotal += tables.length;
      publish();
      log.info({ tables: tables.length, queued: queue.length }, 'Queued tables for initialization');
      while (lanes.size < opts.parallelism && lanes.size < queue.length) {
        const running: Promise<void> = lane()
          .catch((err: unknown) => rejectFailed(err))
          .finally(() => lanes.delete(running));
        lanes.add(running);
      }
    },
    failed,
    async idle() {
      while (lanes.size > 0) await Promise.all(lanes);
    },
  };
}
