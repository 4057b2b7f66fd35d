import ZongJi, {
  type BinlogEvent,
  type QueryEvent,
  type RotateEvent,
  type TableMapEntry,
  type TableMapEvent,
  type UpdateRowsEvent,
  type WriteRowsEvent,
} from '@vlasky/zongji';
import { SyncError } from '../../errors.ts';
import type { DtsValue } from '../../format/dts-avro/values.ts';
import type { Logger } from '../../log.ts';
import { classifyBinlogError, type Flavor } from '../mysql/flavor.ts';
import { keepRawCells, ZONGJI_CONNECTION_OPTIONS } from '../mysql/zongji-decoding.ts';
import type { RowChange, SourcePosition, TableSchema } from '../row-change.ts';
import { type DdlTarget, ddlTarget, type TableRef } from './ddl-target.ts';
import { handleMysqlOnlyEvents } from './mysql-only-events.ts';
import { everyColumnPresent } from './row-image.ts';
import { dmlStatementTables } from './statement-dml.ts';

/** Turns one table's zongji rows into image cells; built once per table shape, used per row. */
export interface TableCodec {
  schema: TableSchema;
  cells(row: Record<string, unknown>): DtsValue[];
}

export type TableCodecLoader = (entry: TableMapEntry, tableMap: TableMapEvent) => Promise<TableCodec>;

export type StartPosition =
  | { mode: 'end' }
  | { mode: 'file'; file: string; position: number }
  | { mode: 'gtid'; gtidSet: string };

export interface BinlogHandler {
  /** One row change, in binlog order. Synchronous: the handler queues it. */
  change(change: RowChange): void;
  /** A transaction ended; `position` is where a restart resumes after it. */
  commit(position: SourcePosition, gtidSet: string | undefined): void;
  /**
   * The stream moved to `position` between transactions without a commit (file headers, GTID
   * lists, checkpoints), so "has the stream reached position X" can be answered at a file start.
   */
  between(position: SourcePosition): void;
  /** A DDL statement; `defaultDb` is the session's database, `target` what the statement touches. */
  ddl(ddl: { sql: string; defaultDb: string; target: DdlTarget; position: SourcePosition }): void;
  /**
   * A data change logged as SQL text (binlog_format STATEMENT or MIXED), not as row events: it
   * cannot be synced. `tables` over-approximates what it touches.
   */
  statement(dml: { sql: string; tables: TableRef[]; position: SourcePosition }): void;
  /** The source had nothing to send for a heartbeat period: everything before was handed over. */
  heartbeat(): void;
}

export interface BinlogReaderOptions {
  connection: { host: string; port: number; user: string; password: string; ssl?: object };
  serverId: number;
  /** The server's flavour: which session variables ask for heartbeats, how columns are read. */
  flavor: Pick<Flavor, 'binlogSessionSql' | 'sessionSql'>;
  start: StartPosition;
  /** zongji's includeSchema: database → true (all tables) or a table list. */
  includeSchema: Record<string, string[] | true>;
  loadTable: TableCodecLoader;
  handler: BinlogHandler;
  logger: Logger;
  /** How often an idle source sends a heartbeat. Default HEARTBEAT_MS. */
  heartbeatMs?: number;
  /** Nothing read for this long (not paused by back-pressure): the connection is dead. Default STALL_MS. */
  stallMs?: number;
}

export interface BinlogReader {
  /** Resolves once streaming, with the concrete position it streams from (known even for `end`). */
  start(): Promise<{ file: string; position: number }>;
  stop(): Promise<void>;
  /** Stops reading from the socket (back-pressure); events already parsed still arrive. */
  pause(): void;
  resume(): void;
  /** Rejects when the stream fails; the error says whether a retry can help. */
  readonly failed: Promise<never>;
}

const ROW_EVENTS = new Set(['writerows', 'updaterows', 'deleterows']);
// Events MariaDB writes outside any transaction, at the start of each binlog file.
const BETWEEN_TRANSACTIONS = new Set(['format', 'mariadbgtidlist', 'binlogcheckpoint']);
// An idle source sends a heartbeat this often (a replica's MASTER_HEARTBEAT_PERIOD), so a silent
// connection is told from a quiet source: a stall is several missed heartbeats. Both bound how
// soon status shows a dead source connection (docs/operator.md).
export const HEARTBEAT_MS = 2_000;
export const STALL_MS = 10_000;
const WATCHDOG_TICK_MS = 1_000;

/** A synced table's UPDATE was logged as a partial JSON diff: no full row can be made of it. */
export class PartialJsonUpdateError extends SyncError {
  constructor(table: string) {
    super(
      `the source logged an UPDATE of synced table ${table} as a partial JSON diff (binlog_row_value_options=PARTIAL_JSON)`,
      {
        retriable: false,
        reason: 'PartialJsonUpdates',
        fix: `run SET GLOBAL binlog_row_value_options='' on the source (and remove it from its configuration file), then re-initialize the job: the partial event stays in the binlog`,
      },
    );
  }
}

/** The binlog connection read nothing (not even a heartbeat) for too long: reconnect. */
export class SourceStalledError extends SyncError {
  constructor(host: string, port: number, ms: number) {
    super(`no data from the source ${host}:${port} for ${ms / 1000}s, not even a heartbeat; reconnecting`, {
      retriable: true,
      reason: 'SourceStalled',
    });
  }
}

export function createBinlogReader(opts: BinlogReaderOptions): BinlogReader {
  const log = opts.logger;
  const zongji = new ZongJi({ ...opts.connection, ...ZONGJI_CONNECTION_OPTIONS });
  // A partial JSON update of a synced table stops the stream in binlog order: what came before it
  // is handed on first.
  handleMysqlOnlyEvents(zongji, ({ database, table }) => {
    const selected = opts.includeSchema[database];
    if (selected === true || selected?.includes(table))
      enqueue(new PartialJsonUpdateError(`${database}.${table}`));
  });
  // zongji hands events over synchronously; a table's first sighting needs an async lookup (keys),
  // so events go through this ordered backlog and are processed one at a time.
  const backlog: (BinlogEvent | PartialJsonUpdateError)[] = [];
  const codecs = new Map<string, TableCodec>();
  let draining = false;
  let lookupPaused = false;
  let userPaused = false;
  let file = opts.start.mode === 'file' ? opts.start.file : '';
  let txStart = opts.start.mode === 'file' ? opts.start.position : 0;
  let rejectFailed: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    rejectFailed = reject;
  });
  failed.catch(() => undefined);

  // After a failure nothing more is handed on: events past it must not move the job's offset.
  let halted = false;
  const fail = (err: unknown) => {
    halted = true;
    backlog.length = 0;
    rejectFailed(classifyBinlogError(err, opts.serverId));
  };

  const position = (event: BinlogEvent, offset: number): SourcePosition => ({
    file,
    offset,
    gtid: event.gtid ?? '',
    timestamp: Math.floor(event.timestamp / 1000),
  });

  const codecKey = (entry: TableMapEntry) =>
    `${entry.parentSchema}\u0000${entry.tableName}\u0000${entry.columnSchemas.map((c) => `${c.COLUMN_NAME}:${c.COLUMN_TYPE}`).join(',')}`;

  function forgetTables(target: DdlTarget) {
    const refs =
      target.kind === 'rename'
        ? target.renames.flatMap((r) => [r.from, r.to])
        : 'tables' in target
          ? target.tables
          : [];
    for (const ref of refs) {
      const prefix = `${ref.database}\u0000${ref.table}\u0000`;
      for (const key of codecs.keys()) if (key.startsWith(prefix)) codecs.delete(key);
    }
  }

  async function ensureCodec(event: TableMapEvent): Promise<void> {
    const entry = event.tableMap[event.tableId];
    if (!entry) return;
    const key = codecKey(entry);
    if (!codecs.has(key)) codecs.set(key, await opts.loadTable(entry, event));
  }

  function emitRows(
    event:
      | WriteRowsEvent
      | UpdateRowsEvent
      | (BinlogEvent & { tableId: number; rows: Record<string, unknown>[] }),
    name: string,
  ) {
    const entry = (event as WriteRowsEvent).tableMap[(event as WriteRowsEvent).tableId];
    if (!entry) return;
    const codec = codecs.get(codecKey(entry));
    if (!codec)
      throw new SyncError(`no table map for rows of ${entry.parentSchema}.${entry.tableName}`, {
        retriable: true,
        reason: 'TableMapMissing',
      });
    const pos = position(event, txStart);
    // binlog_row_image MINIMAL/NOBLOB leaves columns out; the pipeline decides what that means.
    const bitmaps = event as {
      numberOfColumns: number;
      columns_present_bitmap?: Buffer;
      columns_present_bitmap2?: Buffer;
    };
    const partial =
      !everyColumnPresent(bitmaps.columns_present_bitmap, bitmaps.numberOfColumns) ||
      !everyColumnPresent(bitmaps.columns_present_bitmap2, bitmaps.numberOfColumns);
    if (name === 'updaterows') {
      for (const row of (event as UpdateRowsEvent).rows) {
        opts.handler.change({
          operation: 'UPDATE',
          table: codec.schema,
          before: codec.cells(row.before),
          after: codec.cells(row.after),
          position: pos,
          partial,
        });
      }
    } else {
      const insert = name === 'writerows';
      for (const row of (event as WriteRowsEvent).rows) {
        const cells = codec.cells(row);
        opts.handler.change({
          operation: insert ? 'INSERT' : 'DELETE',
          table: codec.schema,
          before: insert ? null : cells,
          after: insert ? cells : null,
          position: pos,
          partial,
        });
      }
    }
  }

  function endTransaction(event: BinlogEvent) {
    if (event.nextPosition > 0) txStart = event.nextPosition;
    opts.handler.commit(position(event, txStart), zongji.gtidSet);
  }

  function handle(event: BinlogEvent | PartialJsonUpdateError): Promise<void> | undefined {
    if (event instanceof PartialJsonUpdateError) throw event;
    const name = event.getEventName();
    if (name === 'tablemap') {
      return ensureCodec(event as TableMapEvent);
    }
    if (ROW_EVENTS.has(name)) {
      emitRows(event as WriteRowsEvent, name);
    } else if (name === 'xid') {
      endTransaction(event);
    } else if (name === 'query') {
      const q = event as QueryEvent;
      const sql = q.query.trim();
      if (/^BEGIN$/i.test(sql)) return undefined;
      if (/^COMMIT$/i.test(sql)) {
        endTransaction(event);
        return undefined;
      }
      // Part of the transaction in progress, like a row event: no DDL, no commit.
      const dml = dmlStatementTables(sql, q.schema);
      if (dml) {
        opts.handler.statement({ sql, tables: dml, position: position(event, txStart) });
        return undefined;
      }
      // A DDL statement is a transaction of its own; new columns reach us through later table maps,
      // but keys do not, so the codecs of the tables it touches are rebuilt on their next sighting.
      if (event.nextPosition > 0) txStart = event.nextPosition;
      const target = ddlTarget(sql, q.schema);
      forgetTables(target);
      opts.handler.ddl({ sql, defaultDb: q.schema, target, position: position(event, txStart) });
      opts.handler.commit(position(event, txStart), zongji.gtidSet);
    } else if (BETWEEN_TRANSACTIONS.has(name)) {
      if (event.nextPosition > 0) {
        txStart = event.nextPosition;
        opts.handler.between(position(event, txStart));
      }
    } else if (name === 'heartbeat') {
      opts.handler.heartbeat();
    } else if (name === 'rotate') {
      const r = event as RotateEvent;
      file = r.binlogName;
      txStart = r.position;
    }
    return undefined;
  }

  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      while (backlog.length > 0 && !halted) {
        const event = backlog.shift()!;
        const pending = handle(event);
        if (pending) await pending;
      }
    } catch (err) {
      fail(err);
    } finally {
      draining = false;
      if (lookupPaused) {
        lookupPaused = false;
        if (!userPaused) zongji.connection?.resume();
      }
    }
  }

  zongji.on('binlog', (event: BinlogEvent) => {
    // Must run before zongji parses the table's rows, i.e. here and not later in the backlog.
    if (event.getEventName() === 'tablemap') {
      const tm = event as TableMapEvent;
      const entry = tm.tableMap[tm.tableId];
      if (entry) keepRawCells(entry);
    }
    enqueue(event);
  });
  zongji.on('error', (err: unknown) => fail(err));

  function enqueue(event: BinlogEvent | PartialJsonUpdateError) {
    if (halted) return;
    backlog.push(event);
    if (!draining) {
      void drain();
    } else if (!lookupPaused && backlog.length > 1000) {
      lookupPaused = true;
      zongji.connection?.pause();
    }
  }

  // Watches the bytes the binlog connection's socket (mysql2's `stream`) read, not events: a huge
  // transaction of an unselected table arrives as filtered events for a long time, and it is data
  // all the same.
  const stallMs = opts.stallMs ?? STALL_MS;
  let lastRead = -1;
  let lastProgress = Date.now();
  const watchdog = setInterval(() => {
    const read = (zongji.connection as { stream?: { bytesRead?: number } } | null)?.stream?.bytesRead ?? 0;
    if (read !== lastRead || userPaused || lookupPaused) {
      lastRead = read;
      lastProgress = Date.now();
    } else if (Date.now() - lastProgress >= stallMs) {
      clearInterval(watchdog);
      fail(new SourceStalledError(opts.connection.host, opts.connection.port, stallMs));
    }
  }, WATCHDOG_TICK_MS);
  watchdog.unref();
  failed.catch(() => clearInterval(watchdog));

  return {
    failed,
    async start() {
      const ready = new Promise<void>((resolve, reject) => {
        zongji.once('ready', () => resolve());
        failed.catch(reject);
      });
      const start = opts.start;
      zongji.start({
        serverId: opts.serverId,
        includeEvents: [
          'rotate',
          'tablemap',
          'writerows',
          'updaterows',
          'deleterows',
          'xid',
          'query',
          'heartbeat',
          ...BETWEEN_TRANSACTIONS,
        ],
        includeSchema: opts.includeSchema,
        ...(start.mode === 'end' ? { startAtEnd: true } : {}),
        ...(start.mode === 'file' ? { filename: start.file, position: start.position } : {}),
        ...(start.mode === 'gtid' ? { gtidSet: start.gtidSet } : {}),
      });
      // Queued on the binlog connection ahead of the dump command, which the server reads it for
      // (nanoseconds; MySQL and MariaDB alike).
      for (const sql of opts.flavor.binlogSessionSql(opts.heartbeatMs ?? HEARTBEAT_MS))
        zongji.connection?.query(sql, (err: unknown) => err && fail(err));
      // zongji's own metadata connection reads columns as every other reader does.
      for (const sql of opts.flavor.sessionSql)
        zongji.ctrlConnection?.query(sql, (err: unknown) => err && fail(err));
      await ready;
      if (!file) file = String(zongji.get('filename') ?? '');
      if (!txStart) txStart = Number(zongji.get('position') ?? 0);
      log.info({ file, position: txStart }, 'Started binlog stream');
      return { file, position: txStart };
    },
    async stop() {
      clearInterval(watchdog);
      zongji.stop();
    },
    pause() {
      userPaused = true;
      zongji.connection?.pause();
    },
    resume() {
      userPaused = false;
      if (!lookupPaused) zongji.connection?.resume();
    },
  };
}
