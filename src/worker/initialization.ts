// Full-data (and optionally structure) initialization, lock-free and resumable: each selected table
// is read in key-ordered chunks, one short autocommit SELECT each, interleaved with the live binlog
// stream through snapshot windows (snapshot-window.ts). Progress rides in the job offset, so a
// restarted worker continues after the last chunk row Kafka holds. Needs only SELECT and the
// binlog grants.
import type mysql from 'mysql2/promise';
import type { Logger } from '../log.ts';
import type { SnapshotProgress } from '../offsets/job-offset.ts';
import type { FileOffset } from '../source/binlog/position-order.ts';
import { loadTableSchema } from '../source/mysql/load-table-schema.ts';
import { SNAPSHOT_SESSION_SQL } from '../source/mysql/snapshot-query.ts';
import type { ChunkCursor } from '../source/snapshot/chunk-plan.ts';
import { createChunkReader } from '../source/snapshot/chunk-reader.ts';
import { showCreateTable } from '../source/snapshot/show-create.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Pipeline } from './pipeline.ts';
import type { WorkerReport } from './report.ts';
import type { ObjectSelector } from './routing.ts';

export interface InitializationOptions {
  objects: readonly ObjectSelector[];
  pipeline: Pipeline;
  /** A new connection to the source (one per table read in parallel). */
  connect: () => Promise<mysql.Connection>;
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

async function binlogEnd(conn: mysql.Connection): Promise<FileOffset> {
  const [[status]] = await conn.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
  if (!status) throw new Error('SHOW MASTER STATUS returned nothing: is the binlog enabled on the source?');
  return { file: String(status.File), offset: Number(status.Position) };
}

/**
 * Structure initialization: one DDL record (SHOW CREATE TABLE) per selected table not yet started,
 * queued before the binlog stream starts, so no change of a table precedes its structure.
 */
export async function emitStructure(
  opts: Pick<InitializationOptions, 'objects' | 'pipeline' | 'connect' | 'progress'>,
): Promise<void> {
  const conn = await opts.connect();
  try {
    for (const [db, name] of await selectedTables(conn, opts.objects)) {
      if (opts.progress.tables[`${db}.${name}`] === undefined)
        opts.pipeline.structure(db, name, await showCreateTable(conn, db, name));
    }
  } finally {
    await conn.end();
  }
}

export async function runInitialization(opts: InitializationOptions): Promise<void> {
  const log = opts.logger;
  const control = await opts.connect();
  let tables: [string, string][];
  try {
    tables = await selectedTables(control, opts.objects);
  } finally {
    await control.end();
  }
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

  const initializeTable = async ([db, name]: [string, string]) => {
    const table = `${db}.${name}`;
    const conn = await opts.connect();
    try {
      await conn.query(SNAPSHOT_SESSION_SQL);
      const schema = await loadTableSchema(conn, db, name);
      const reader = await createChunkReader(conn, schema);
      if (reader.warning) opts.report.raise('TableWithoutUsableKey', `${table}: ${reader.warning}`);
      const saved = opts.progress.tables[table];
      let cursor = (saved?.cursor ?? null) as ChunkCursor | null;
      do {
        await opts.pipeline.room();
        if (opts.signal.aborted) return;
        const window = opts.pipeline.openWindow(table, reader.keyIndexes);
        const chunk = await reader.readChunk(cursor, opts.chunkSize);
        const high = await binlogEnd(conn);
        await opts.pipeline.closeWindow(window, { schema, rows: chunk.rows, cursors: chunk.cursors }, high);
        rows += chunk.rows.length;
        opts.metrics.initRows.inc(chunk.rows.length);
        cursor = chunk.last;
      } while (cursor !== null);
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
    } finally {
      await conn.end().catch(() => undefined);
    }
  };

  // Up to `parallelism` tables at a time, each on its own connection.
  const queue = [...pending];
  await Promise.all(
    Array.from({ length: Math.min(opts.parallelism, queue.length) }, async () => {
      for (let next = queue.shift(); next && !opts.signal.aborted; next = queue.shift())
        await initializeTable(next);
    }),
  );
  if (!opts.signal.aborted)
    log.info(
      { tables: total, rows, seconds: Math.round((Date.now() - started) / 1000) },
      'Finished initialization',
    );
}
