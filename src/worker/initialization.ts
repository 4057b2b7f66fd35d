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
  objects: readonly ObjectSelector[];
  pipeline: Pipeline;
  /** A new connection to the source (the table list, schemas, structure). */
  connect: () => Promise<mysql.Connection>;
  /** What snapshot threads connect with. */
  connection: MysqlConnectionOptions;
  progress: SnapshotProgress;
  /** Copy the rows (spec.initialization.data); false: structure only, which is already written. */
  data: boolean;
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
 * Structure initialization: one DDL record (SHOW CREATE TABLE) per selected table not yet started,
 * queued before the binlog stream starts, so no change of a table precedes its structure.
 */
export async function emitStructure(
  opts: Pick<InitializationOptions, 'objects' | 'pipeline' | 'connect' | 'progress'>,
): Promise<void> {
  await withConnection(opts.connect, async (conn) => {
    for (const [db, name] of await selectedTables(conn, opts.objects)) {
      if (opts.progress.tables[`${db}.${name}`] === undefined)
        opts.pipeline.structure(db, name, await showCreateTable(conn, db, name));
    }
  });
}

export async function runInitialization(opts: InitializationOptions): Promise<void> {
  const log = opts.logger;
  const tables = await withConnection(opts.connect, (conn) => selectedTables(conn, opts.objects));
  const pending = tables.filter(([db, t]) => !opts.progress.tables[`${db}.${t}`]?.done);
  const total = tables.length;
  let done = total - pending.length;
  let rows = 0;
  const started = Date.now();
  const publish = () => {
    // `done` turns true only once Kafka acknowledged it (the worker sees the offset without progress).
    opts.report.setInitialization({ tablesTotal: total, tablesDone: done, rows, done: false });
    opts.metrics.initTablesDone.set(done);
    opts.metrics.initTablesTotal.set(total);
  };
  publish();
  log.info({ tables: total, remaining: pending.length }, 'Started initialization');
  if (pending.length === 0 || !opts.data) {
    opts.pipeline.tableInitialized('', true);
    return;
  }

  // One snapshot thread per lane. The next chunk is read (its window open) while the pipeline
  // waits to queue the last one, so the thread's reading and encoding overlap the queueing.
  const copyRows = async (
    reader: SnapshotReader,
    table: string,
    schema: TableSchema,
    placement: Placement,
  ) => {
    const { keyIndexes, warning } = await reader.open(schema, placement);
    if (warning) opts.report.raise('TableWithoutUsableKey', `${table}: ${warning}`);
    // The window opens before the thread's SELECT, and the request goes out before the previous
    // chunk is queued (a synchronous flush of thousands of rows), so the two overlap.
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
      next = chunk.last === null ? null : await readAfter(chunk.last);
      await opts.pipeline.closeWindow(window, schema, chunk);
      rows += chunk.count;
      opts.metrics.initRows.inc(chunk.count);
    }
  };

  const initializeTable = async (reader: SnapshotReader, [db, name]: [string, string]) => {
    const table = `${db}.${name}`;
    const placement = opts.pipeline.placement(db, name);
    if (placement) {
      const schema = await withConnection(opts.connect, (conn) => loadTableSchema(conn, db, name));
      await copyRows(reader, table, schema, placement);
    }
    if (opts.signal.aborted) return;
    done++;
    opts.pipeline.tableInitialized(table, done === total);
    publish();
    log.info(
      {
        table,
        tablesDone: done,
        tablesTotal: total,
        rows,
        seconds: Math.round((Date.now() - started) / 1000),
      },
      'Initialized table',
    );
  };

  // Up to `parallelism` tables at a time, each lane with its own thread and connection.
  const queue = [...pending];
  await Promise.all(
    Array.from({ length: Math.min(opts.parallelism, queue.length) }, async () => {
      const reader = startSnapshotReader(opts.connection);
      try {
        for (let next = queue.shift(); next && !opts.signal.aborted; next = queue.shift())
          await initializeTable(reader, next);
      } finally {
        await reader.close();
      }
    }),
  );
  if (!opts.signal.aborted)
    log.info(
      { tables: total, rows, seconds: Math.round((Date.now() - started) / 1000) },
      'Finished initialization',
    );
}
