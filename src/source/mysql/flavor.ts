// What differs between the servers a job reads, decided in one place from the server's own
// version: MySQL 5.7 / 8.0 / 8.4 LTS / 9.x, PolarDB for MySQL 5.7 / 8.0 (MySQL to the protocol) and
// MariaDB 10.5+ / 11.x. Pure: the facts come in as strings, the decisions go out as data.
import { BinlogPurgedError, SyncError } from '../../errors.ts';

export type Product = 'mysql' | 'mariadb';

export interface Flavor {
  product: Product;
  /** The server's VERSION(), e.g. `9.7.4-2`, `8.0.32`, `10.11.14-MariaDB-0+deb12u2`. */
  version: string;
  major: number;
  minor: number;
  patch: number;
  /** Whether the worker handles this server; `unsupported` says why not when it does not. */
  supported: boolean;
  unsupported?: string;
  /** The statement that gives the binlog's end (File, Position, and on MySQL Executed_Gtid_Set). */
  binlogStatusSql: string;
  /** Session statements the binlog connection sends before its dump command (heartbeats). */
  binlogSessionSql(heartbeatMs: number): string[];
  /** The privilege that lets the account read binlog coordinates, as the server names it. */
  binlogMonitorPrivilege: 'REPLICATION CLIENT' | 'BINLOG MONITOR';
  /** `mysql`: `uuid:1-5[:tag:1-3],…` sets; `mariadb`: `domain-server-seq,…` positions. */
  gtidForm: Product;
  /** The server writes JSON into its binlog in binary form (MySQL) rather than as text (MariaDB). */
  binaryJsonInBinlog: boolean;
  /** Statements every connection that reads tables or their columns runs first. */
  sessionSql: string[];
}

export const SUPPORTED_SOURCES =
  'MySQL 5.7, 8.0, 8.4 and 9.x, PolarDB for MySQL 5.7 and 8.0, MariaDB 10.5 or later';

const atLeast = (f: { major: number; minor: number; patch: number }, major: number, minor = 0, patch = 0) =>
  f.major !== major ? f.major > major : f.minor !== minor ? f.minor > minor : f.patch >= patch;

export function parseFlavor(version: string): Flavor {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  const v = { major: Number(m?.[1] ?? 0), minor: Number(m?.[2] ?? 0), patch: Number(m?.[3] ?? 0) };
  const product: Product = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
  let unsupported: string | undefined;
  if (!m) unsupported = `the server version "${version}" could not be read`;
  else if (product === 'mariadb' && !atLeast(v, 10, 5))
    unsupported = `MariaDB ${version} is older than 10.5 (privilege names and the GTID dump differ)`;
  else if (product === 'mysql' && !atLeast(v, 5, 7))
    unsupported = `MySQL ${version} is older than 5.7 (no binlog_row_image FULL guarantees, no GTID auto-position)`;
  // MySQL 8.0.26 renamed master to source; 8.4 dropped SHOW MASTER STATUS (SHOW BINARY LOG STATUS
  // exists from 8.2).
  const mysqlSourceNames = product === 'mysql' && atLeast(v, 8, 0, 26);
  return {
    product,
    version,
    ...v,
    supported: unsupported === undefined,
    ...(unsupported === undefined ? {} : { unsupported }),
    binlogStatusSql:
      product === 'mysql' && atLeast(v, 8, 2) ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS',
    binlogSessionSql(heartbeatMs) {
      const ns = heartbeatMs * 1_000_000;
      // User variables the dump thread reads; an older name is still honoured, so both are set
      // where the server knows both.
      return mysqlSourceNames
        ? [`SET @source_heartbeat_period = ${ns}, @master_heartbeat_period = ${ns}`]
        : [`SET @master_heartbeat_period = ${ns}`];
    },
    binlogMonitorPrivilege: product === 'mariadb' ? 'BINLOG MONITOR' : 'REPLICATION CLIENT',
    gtidForm: product,
    binaryJsonInBinlog: product === 'mysql',
    // A generated invisible primary key (MySQL 8.0.30+) is in every row of the binlog but hidden
    // from information_schema and SELECT * by default; shown, the snapshot and the binlog carry the
    // same columns, and the table has its key.
    sessionSql:
      product === 'mysql' && atLeast(v, 8, 0, 30)
        ? ['SET SESSION show_gipk_in_create_table_and_information_schema = ON']
        : [],
  };
}

const ER_SOURCE_FATAL_ERROR_READING_BINLOG = 1236;
// MariaDB's answer to a second reader with the same id is to kill the first one's dump thread.
const ER_CONNECTION_KILLED = 1927;

export const serverIdConflictFix = (serverId: number) =>
  `set spec.source.serverId to a number that no replica, other SyncJob or CDC tool reading this source uses (${serverId} is taken; SHOW REPLICAS on the source lists the ids in use)`;

/**
 * What a failure of the binlog connection means: the position is gone (terminal BinlogPurged),
 * another reader took this job's server id (terminal ServerIdConflict: two readers with one id
 * disconnect each other forever), the server cannot serve the kind of dump asked for
 * (InvalidConfiguration), or anything else, retried.
 */
export function classifyBinlogError(err: unknown, serverId: number): unknown {
  const e = err as { errno?: number; message?: string } | null;
  const message = e?.message ?? String(err);
  if (/same server[_ ]uuid\/server[_ ]id|same server[_ ]id|server_id .* already connected/i.test(message))
    return new SyncError(
      `another binlog reader connected to the source with server id ${serverId}: ${message}`,
      {
        retriable: false,
        reason: 'ServerIdConflict',
        fix: serverIdConflictFix(serverId),
        cause: err,
      },
    );
  // zongji's words when a row has more or fewer columns than information_schema lists: a hidden
  // column (PolarDB's implicit primary key) or a table changed since. Retrying meets the same row.
  if (/schema changed between binlog event and metadata fetch/i.test(message))
    return new SyncError(`a binlog row has columns the table's metadata does not explain: ${message}`, {
      retriable: false,
      reason: 'TableColumnsUnexplained',
      fix: 'add a primary key to tables without one (PolarDB and ApsaraDB log a hidden key column for them), or set binlog_row_metadata=FULL so the binlog describes its own columns; then re-initialize the job',
      cause: err,
    });
  // zongji's words when information_schema has no columns for a table of the binlog: no SELECT
  // grant, or (binlog_row_metadata=MINIMAL) a table dropped or renamed since the rows were written.
  const hidden = /Insufficient permissions to access: (\S+)/.exec(message);
  if (hidden)
    return new SyncError(
      `the columns of ${hidden[1]} cannot be read from the source, so its binlog rows cannot be decoded`,
      {
        retriable: false,
        reason: 'TableSchemaUnavailable',
        fix: `grant the sync user SELECT on ${hidden[1]}; if it was dropped or renamed since, set binlog_row_metadata=FULL on the source (rows then describe themselves) and re-initialize the job`,
        cause: err,
      },
    );
  if (e?.errno === ER_CONNECTION_KILLED) return err;
  if (e?.errno !== ER_SOURCE_FATAL_ERROR_READING_BINLOG) return err;
  // 1236 carries several conditions; only a missing log is a purge. PolarDB and MySQL answer
  // "could not find next log" while a log is being rotated or uploaded: transient.
  if (/could not find next log/i.test(message)) return err;
  if (/GTID_MODE\s*=\s*OFF|gtid_mode.*off|AUTO_POSITION/i.test(message))
    return new SyncError(`the source cannot serve a binlog stream by GTID: ${message}`, {
      retriable: false,
      reason: 'InvalidConfiguration',
      fix: 'turn on gtid_mode and enforce_gtid_consistency on the source (or resume the job by file and position from a server that has the offset)',
      cause: err,
    });
  return new BinlogPurgedError(message, err);
}

type Queryable = { query(sql: string): Promise<[unknown, unknown]> };

/** The flavour of the server `conn` is connected to. */
export async function readFlavor(conn: Queryable): Promise<Flavor> {
  const [rows] = await conn.query('SELECT VERSION() AS version');
  return parseFlavor(String((rows as { version?: unknown }[])[0]?.version ?? ''));
}

/** Reads the flavour and sets the session up as the flavour asks (sessionSql). */
export async function prepareSourceSession(conn: Queryable): Promise<Flavor> {
  const flavor = await readFlavor(conn);
  for (const sql of flavor.sessionSql) await conn.query(sql);
  return flavor;
}
