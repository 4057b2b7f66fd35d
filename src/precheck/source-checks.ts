// The source half of the precheck: connects the way the worker does (same settings, same secret)
// and turns what the server reports into items through the pure rules in source-decisions.ts.
import net from 'node:net';
import mysql from 'mysql2/promise';
import type { SyncJob } from '../api/v1alpha1/syncjob-spec.ts';
import { effectiveServerId } from '../job-identity.ts';
import type { Logger } from '../log.ts';
import { prepareSourceSession } from '../source/mysql/flavor.ts';
import { mysqlConnection } from '../worker/connections.ts';
import type { SecretResolver } from '../worker/secrets.ts';
import { parseGrants } from './grants.ts';
import {
  accountName,
  decideBinlog,
  decideBinlogFormat,
  decideBinlogRetention,
  decideBinlogRowImage,
  decideColumnTypes,
  decideFilters,
  decideLogSlaveUpdates,
  decideObjects,
  decidePartitionKeys,
  decidePolardbEndpoint,
  decidePrimaryKeys,
  decidePrivileges,
  decideRowValueOptions,
  decideServerId,
  decideStorageEngines,
  decideVersion,
  type FilteredTable,
  type PartitionKeyed,
  type SelectedObject,
  type SourceColumn,
  type SourceTable,
  selectedTables,
} from './source-decisions.ts';
import { failed, type PrecheckItem, passed } from './types.ts';

/** A precheck answers in seconds; an unreachable source should not hang it. */
export const SOURCE_TIMEOUT_MS = 5_000;

const VARIABLES = [
  'log_bin',
  'loose_polar_log_bin',
  'polar_log_bin',
  'binlog_format',
  'binlog_row_image',
  'server_id',
  'log_slave_updates',
  'log_replica_updates',
  'binlog_row_value_options',
  'binlog_expire_logs_seconds',
  'expire_logs_days',
  'loose_expire_logs_hours',
  'read_only',
  'innodb_read_only',
];

/**
 * Opens TCP and reads the server's first packet, without logging in: a greeting means the server
 * is reachable and speaks the protocol; an error packet here is the server refusing the client's
 * address (host not allowed, too many connections).
 */
export function probeHandshake(host: string, port: number, timeoutMs = SOURCE_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let data = Buffer.alloc(0);
    const done = (err: Error | undefined, value?: string) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(value ?? '');
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer within ${timeoutMs / 1000} s`)));
    socket.on('error', (err) => done(err));
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 4) return;
      const length = data.readUIntLE(0, 3);
      if (data.length < 4 + length) return;
      const payload = data.subarray(4, 4 + length);
      if (payload[0] === 0x0a) {
        const end = payload.indexOf(0, 1);
        done(undefined, payload.subarray(1, end < 0 ? undefined : end).toString('utf8'));
      } else if (payload[0] === 0xff) {
        done(new Error(`the server refused the connection: ${payload.subarray(3).toString('utf8')}`));
      } else {
        done(new Error('the server did not answer with a MySQL handshake'));
      }
    });
    socket.on('end', () => done(new Error('the server closed the connection before its handshake')));
  });
}

const selection = (job: SyncJob): SelectedObject[] =>
  job.spec.objects.map((o) => ({
    database: o.database,
    ...(o.tables === undefined ? {} : { tables: o.tables.map((t) => t.name) }),
  }));

type Row = Record<string, unknown>;

async function rows(conn: mysql.Connection, sql: string, params: unknown[] = []): Promise<Row[]> {
  const [result] = await conn.query(sql, params);
  return result as Row[];
}

// Whether the source replicates from another server. SHOW SLAVE STATUS needs REPLICA MONITOR
// (MariaDB) or REPLICATION CLIENT (MySQL); the status counter needs nothing but only counts
// running threads. undefined when neither answers.
/** Tables that set tables[].partitionKey or a filter, with their columns on the source. */
async function queryColumnSettings(
  conn: mysql.Connection,
  job: SyncJob,
): Promise<{ keyed: PartitionKeyed[]; filtered: FilteredTable[] }> {
  const wanted = job.spec.objects.flatMap((o) =>
    (o.tables ?? []).flatMap((t) => (t.partitionKey || t.filter ? [{ database: o.database, ...t }] : [])),
  );
  if (wanted.length === 0) return { keyed: [], filtered: [] };
  const columns = new Map<string, string[]>();
  for (const c of await rows(
    conn,
    'SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, COLUMN_NAME AS col FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (?)',
    [[...new Set(wanted.map((w) => w.database))]],
  )) {
    const key = `${c.db}.${c.name}`;
    columns.set(key, [...(columns.get(key) ?? []), String(c.col)]);
  }
  const of = (w: (typeof wanted)[number]) => ({
    table: `${w.database}.${w.name}`,
    columns: columns.get(`${w.database}.${w.name}`),
  });
  return {
    keyed: wanted.flatMap((w) => (w.partitionKey ? [{ ...of(w), partitionKey: w.partitionKey }] : [])),
    filtered: wanted.flatMap((w) => (w.filter ? [{ ...of(w), filter: w.filter }] : [])),
  };
}

/**
 * Replicas registered on the source (SHOW REPLICAS / SHOW SLAVE HOSTS); undefined when the account
 * may not list them (REPLICATION MASTER ADMIN on MariaDB 10.5+), which the check then skips.
 */
async function queryRegisteredReplicas(
  conn: mysql.Connection,
): Promise<{ serverId: number; host: string }[] | undefined> {
  for (const sql of ['SHOW REPLICAS', 'SHOW SLAVE HOSTS']) {
    try {
      return (await rows(conn, sql)).map((r) => ({
        serverId: Number(r.Server_id ?? r.Server_Id),
        host: `${String(r.Host ?? '')}:${String(r.Port ?? '')}`,
      }));
    } catch {
      // try the next form
    }
  }
  return undefined;
}

async function queryIsReplica(conn: mysql.Connection, isMariadb: boolean): Promise<boolean | undefined> {
  for (const sql of isMariadb ? ['SHOW ALL SLAVES STATUS'] : ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS']) {
    try {
      return (await rows(conn, sql)).length > 0;
    } catch {
      // try the next form
    }
  }
  try {
    const status = await rows(
      conn,
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Slaves_running', 'Slave_running')",
    );
    const value = status[0]?.Value;
    if (value === undefined) return undefined;
    return value === 'ON' || Number(value) > 0 ? true : undefined;
  } catch {
    return undefined;
  }
}

async function queryColumns(
  conn: mysql.Connection,
  selected: readonly SourceTable[],
): Promise<SourceColumn[]> {
  if (selected.length === 0) return [];
  const wanted = new Set(selected.map((t) => `${t.database}.${t.table}`));
  const columns = await rows(
    conn,
    'SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, COLUMN_NAME AS col, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (?)',
    [[...new Set(selected.map((t) => t.database))]],
  );
  return columns
    .map((c) => ({
      table: `${c.db}.${c.name}`,
      column: String(c.col),
      dataType: String(c.dataType).toLowerCase(),
      columnType: String(c.columnType),
    }))
    .filter((c) => wanted.has(c.table));
}

async function queryTables(conn: mysql.Connection, databases: string[]): Promise<SourceTable[]> {
  const tables = await rows(
    conn,
    "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?) AND TABLE_TYPE = 'BASE TABLE'",
    [databases],
  );
  const indexes = await rows(
    conn,
    'SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, INDEX_NAME AS idx, NON_UNIQUE AS nonUnique, NULLABLE AS nullable FROM information_schema.STATISTICS WHERE TABLE_SCHEMA IN (?)',
    [databases],
  );
  // A key identifies a row when it is unique and none of its columns can be NULL.
  const usable = new Map<string, boolean>();
  for (const i of indexes) {
    if (Number(i.nonUnique) !== 0) continue;
    const key = `${i.db}\u0000${i.name}\u0000${i.idx}`;
    usable.set(key, (usable.get(key) ?? true) && i.nullable !== 'YES');
  }
  return tables.map((t) => ({
    database: String(t.db),
    table: String(t.name),
    engine: t.engine === null ? null : String(t.engine),
    hasKey: [...usable].some(([k, ok]) => ok && k.startsWith(`${t.db}\u0000${t.name}\u0000`)),
  }));
}

export async function checkSource(
  job: SyncJob,
  resolveSecret: SecretResolver,
  log: Logger,
): Promise<PrecheckItem[]> {
  const { source } = job.spec;
  const where = `${source.host}:${source.port}`;
  try {
    const greeting = await probeHandshake(source.host, source.port);
    log.debug({ where, greeting }, 'Source answered');
  } catch (err) {
    return [
      failed(
        'source.connectivity',
        `could not reach ${where}: ${(err as Error).message}`,
        "check source.host and source.port, the network policy between the cluster and the database, and the database's client allow-list",
      ),
    ];
  }
  const items: PrecheckItem[] = [passed('source.connectivity', `${where} answered with a MySQL handshake`)];

  const ref = source.passwordSecretRef;
  const secret = `the password from secret ${ref.name} key ${ref.key}`;
  let conn: mysql.Connection;
  try {
    const options = await mysqlConnection(job, resolveSecret);
    conn = await mysql.createConnection({ ...options, connectTimeout: SOURCE_TIMEOUT_MS });
  } catch (err) {
    // mysql2 and the resolver put neither the password nor the CA into their messages.
    items.push(
      failed(
        'source.authentication',
        `could not log in as ${source.username} with ${secret}: ${(err as Error).message}`,
        `check that secret ${ref.name} key ${ref.key} holds the password of ${source.username}, that the account exists for the worker's address, and the source.tls settings`,
      ),
    );
    return items;
  }
  items.push(passed('source.authentication', `logged in as ${source.username} with ${secret}`));

  try {
    // Hidden generated primary keys count as keys, as the worker sees them.
    const flavor = await prepareSourceSession(conn);
    const [info] = await rows(conn, 'SELECT CURRENT_USER() AS user');
    const { version } = flavor;
    const isMariadb = flavor.product === 'mariadb';
    const variables: Record<string, string> = {};
    for (const v of await rows(conn, 'SHOW GLOBAL VARIABLES WHERE Variable_name IN (?)', [VARIABLES]))
      variables[String(v.Variable_name)] = String(v.Value);
    const grants = (await rows(conn, 'SHOW GRANTS')).map((r) => String(Object.values(r)[0]));
    const objects = selection(job);
    const names = [...new Set(objects.map((o) => o.database))];
    const databases = (
      await rows(
        conn,
        'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?)',
        [names],
      )
    ).map((r) => String(r.name));
    const tables = await queryTables(conn, names);
    const selected = selectedTables(objects, tables);
    const isReplica = await queryIsReplica(conn, isMariadb);
    const registered = await queryRegisteredReplicas(conn);
    const { keyed, filtered } = await queryColumnSettings(conn, job);
    const columns = await queryColumns(conn, selected);

    items.push(
      decideVersion(source.type, version),
      decideBinlog(variables),
      decideBinlogFormat(variables),
      decideBinlogRowImage(variables),
      decideRowValueOptions(variables),
      decideBinlogRetention(source.type, variables),
      ...decidePolardbEndpoint(source.type, variables),
      decideServerId(variables, effectiveServerId(job), registered),
      decidePrivileges(parseGrants(grants), objects, accountName(String(info?.user)), isMariadb),
      decideObjects(objects, databases, tables),
      decideStorageEngines(selected),
      decideColumnTypes(columns),
      decidePrimaryKeys(selected),
      decideLogSlaveUpdates(variables, isReplica),
      decidePartitionKeys(keyed, job.spec.target.partitioning),
      decideFilters(filtered),
    );
  } finally {
    await conn.end().catch(() => undefined);
  }
  return items;
}
