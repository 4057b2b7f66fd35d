// Pure decisions on what was queried from the source: facts in, precheck items out. The queries
// are in source-checks.ts; keeping them apart lets every rule be tested without a server.
import { filterColumns, parseFilter } from '../filter/row-filter.ts';
import { isSupportedColumn } from '../source/mysql/column-spec.ts';
import { parseFlavor, SUPPORTED_SOURCES } from '../source/mysql/flavor.ts';
import { covers, type Grant, hasGlobal } from './grants.ts';
import { failed, listNames, type PrecheckItem, passed, warning } from './types.ts';

export interface SelectedObject {
  database: string;
  /** Absent: the whole database, including tables created later. */
  tables?: readonly string[];
}

export interface SourceTable {
  database: string;
  table: string;
  engine: string | null;
  /** A PRIMARY KEY or a UNIQUE key whose columns are all NOT NULL. */
  hasKey: boolean;
}

export type SourceType = 'mysql' | 'polardb-mysql' | 'mariadb';

const cnf = (setting: string) => `and set ${setting} under [mysqld] in my.cnf so it survives a restart`;

export function decideVersion(type: SourceType, version: string): PrecheckItem {
  const name = 'source.version';
  const flavor = parseFlavor(version);
  if (!flavor.supported) return failed(name, `${flavor.unsupported}`, `use ${SUPPORTED_SOURCES}`);
  if (flavor.product === 'mariadb') {
    if (type !== 'mariadb')
      return warning(
        name,
        `the server is MariaDB ${version} but source.type is ${type}`,
        'set source.type: mariadb (GTIDs and privileges differ between MariaDB and MySQL)',
      );
    return passed(name, `MariaDB ${version}`);
  }
  if (type === 'mariadb')
    return warning(
      name,
      `the server is MySQL ${version} but source.type is mariadb`,
      'set source.type: mysql (or polardb-mysql)',
    );
  return passed(name, `MySQL ${version}`);
}

const on = (value: string | undefined) => value !== undefined && /^(ON|1)$/i.test(value);

export function decideBinlog(variables: Readonly<Record<string, string>>): PrecheckItem {
  const name = 'source.binlog';
  // PolarDB keeps its own switch for the binlog; either one means events are written.
  if (on(variables.log_bin) || on(variables.loose_polar_log_bin) || on(variables.polar_log_bin))
    return passed(name, 'the binlog is enabled (log_bin = ON)');
  return failed(
    name,
    `the binlog is disabled (log_bin = ${variables.log_bin ?? 'not reported'})`,
    'enable the binlog: set log_bin (PolarDB: loose_polar_log_bin = ON in the parameter settings) in the server configuration and restart the server',
  );
}

export function decideBinlogFormat(variables: Readonly<Record<string, string>>): PrecheckItem {
  const name = 'source.binlogFormat';
  const format = variables.binlog_format;
  if (format?.toUpperCase() === 'ROW') return passed(name, 'binlog_format = ROW');
  return failed(
    name,
    `binlog_format = ${format ?? 'not reported'}; row changes are only read from ROW events`,
    `SET GLOBAL binlog_format='ROW'; ${cnf('binlog_format=ROW')}; sessions opened before keep the old format until they reconnect`,
  );
}

export function decideBinlogRowImage(variables: Readonly<Record<string, string>>): PrecheckItem {
  const name = 'source.binlogRowImage';
  const image = variables.binlog_row_image;
  // Servers without the variable (MySQL 5.5) always log full rows.
  if (image === undefined) return passed(name, 'binlog_row_image is not reported; the server logs full rows');
  if (image.toUpperCase() === 'FULL') return passed(name, 'binlog_row_image = FULL');
  return failed(
    name,
    `binlog_row_image = ${image}; records need every column before and after each change`,
    `SET GLOBAL binlog_row_image='FULL'; ${cnf('binlog_row_image=FULL')}; sessions opened before keep the old image until they reconnect`,
  );
}

export function decideRowValueOptions(variables: Readonly<Record<string, string>>): PrecheckItem {
  const name = 'source.binlogRowValueOptions';
  const value = variables.binlog_row_value_options ?? '';
  if (!/PARTIAL_JSON/i.test(value))
    return passed(name, `binlog_row_value_options = '${value}': JSON updates are logged as whole values`);
  return failed(
    name,
    'binlog_row_value_options = PARTIAL_JSON: JSON updates are logged as diffs that cannot be made into whole rows (the job would stop at the first one of a synced table)',
    `SET GLOBAL binlog_row_value_options=''; ${cnf("binlog_row_value_options=''")}`,
  );
}

const WEEK_SECONDS = 7 * 24 * 3600;

/** How long binlogs are kept: the newest setting the server reports; 0 means forever. */
export function decideBinlogRetention(
  type: SourceType,
  variables: Readonly<Record<string, string>>,
): PrecheckItem {
  const name = 'source.binlogRetention';
  const seconds =
    variables.binlog_expire_logs_seconds !== undefined && Number(variables.binlog_expire_logs_seconds) > 0
      ? Number(variables.binlog_expire_logs_seconds)
      : variables.loose_expire_logs_hours !== undefined
        ? Number(variables.loose_expire_logs_hours) * 3600
        : Number(variables.expire_logs_days ?? 0) * 86_400;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds >= WEEK_SECONDS)
    return passed(
      name,
      seconds > 0
        ? `binlogs are kept ${Math.round(seconds / 3600)} hours`
        : 'binlogs are kept until removed by hand',
    );
  const where =
    type === 'polardb-mysql'
      ? 'raise the binlog retention in the PolarDB console (cluster parameters) to 7 days or more'
      : `SET PERSIST binlog_expire_logs_seconds=${WEEK_SECONDS} (MariaDB: SET GLOBAL and my.cnf)`;
  return warning(
    name,
    `binlogs are kept ${Math.round(seconds / 3600)} hours: a job stopped for longer (a failed worker, a paused job) can no longer resume and must be re-initialized`,
    where,
  );
}

/**
 * PolarDB: only the primary endpoint reads the read-write node. A cluster endpoint may send the
 * snapshot's SELECTs to a read-only node that lags behind the binlog they are matched with.
 */
export function decidePolardbEndpoint(
  type: SourceType,
  variables: Readonly<Record<string, string>>,
): PrecheckItem[] {
  if (type !== 'polardb-mysql') return [];
  const name = 'source.endpoint';
  const fix = "set source.host to the cluster's primary endpoint";
  if (on(variables.read_only) || on(variables.innodb_read_only))
    return [failed(name, 'the endpoint reached a read-only node (read_only = ON)', fix)];
  return [
    warning(
      name,
      'this connection reached the read-write node; a cluster endpoint may route the snapshot to a read-only node that lags behind the binlog',
      `${fix} if it is not already`,
    ),
  ];
}

export function decideServerId(
  variables: Readonly<Record<string, string>>,
  replicaId: number,
  registered: readonly { serverId: number; host: string }[] = [],
): PrecheckItem {
  const name = 'source.serverId';
  const id = Number(variables.server_id);
  const fix =
    'set spec.source.serverId in the SyncJob to a number no server, replica or other job of this source uses';
  if (!Number.isInteger(id) || id <= 0)
    return failed(
      name,
      `server_id = ${variables.server_id ?? 'not reported'}; a server without an id does not serve binlog readers`,
      `SET GLOBAL server_id=<a unique positive number>; ${cnf('server_id')}`,
    );
  if (id === replicaId)
    return failed(name, `server_id = ${id} is the id the job registers with as a binlog reader`, fix);
  const replica = registered.find((r) => r.serverId === replicaId);
  if (replica)
    return failed(
      name,
      `replica ${replica.host} is registered on the source with server id ${replicaId}, the id this job reads the binlog with; the source would disconnect one of them whenever the other connects`,
      fix,
    );
  return passed(name, `server_id = ${id}; the job registers as ${replicaId}`);
}

/** Another SyncJob, as far as the server-id check needs it. */
export interface SiblingJob {
  namespace: string;
  name: string;
  /** RFC 3339; the older job of two keeps its id. */
  created: string;
  source: { host: string; port: number };
  serverId: number;
}

/**
 * Two jobs that read the same source with the same server id take turns: the source drops the
 * older binlog connection whenever the other connects. The job created later is refused, naming
 * the first (when it is of the same namespace); derived ids are compared the same way.
 */
export function decideServerIdUnique(job: SiblingJob, others: readonly SiblingJob[]): PrecheckItem {
  const name = 'source.serverIdUnique';
  const sameSource = (o: SiblingJob) =>
    o.source.host.toLowerCase() === job.source.host.toLowerCase() && o.source.port === job.source.port;
  const earlier = (o: SiblingJob) =>
    o.created < job.created ||
    (o.created === job.created && `${o.namespace}/${o.name}` < `${job.namespace}/${job.name}`);
  const first = others
    .filter((o) => !(o.namespace === job.namespace && o.name === job.name))
    .filter((o) => sameSource(o) && o.serverId === job.serverId && earlier(o))
    .sort((a, b) => a.created.localeCompare(b.created))[0];
  // Another namespace may be another tenant's: its job is not named.
  const named =
    first?.namespace === job.namespace
      ? `SyncJob ${first.namespace}/${first.name}`
      : 'a SyncJob of another namespace';
  if (first)
    return failed(
      name,
      `${named} already reads ${job.source.host}:${job.source.port} with server id ${job.serverId}; two binlog readers with one id disconnect each other`,
      `set spec.source.serverId of this job to another number (or remove it to use the id derived from the job's name)`,
    );
  return passed(
    name,
    `no other SyncJob reads ${job.source.host}:${job.source.port} with server id ${job.serverId}`,
  );
}

export function decideLogSlaveUpdates(
  variables: Readonly<Record<string, string>>,
  isReplica: boolean | undefined,
): PrecheckItem {
  const name = 'source.logSlaveUpdates';
  const fix = `SET GLOBAL log_slave_updates=ON is read-only on most servers: ${cnf('log_slave_updates=ON')} and restart`;
  const value = variables.log_slave_updates ?? variables.log_replica_updates;
  if (on(value)) return passed(name, 'log_slave_updates = ON');
  if (isReplica === false)
    return passed(name, `log_slave_updates = ${value ?? 'OFF'}; the source is not a replica`);
  if (isReplica === undefined)
    return warning(
      name,
      `log_slave_updates = ${value ?? 'OFF'} and the account may not tell whether the source is a replica; if it is, changes replicated into it are not in its binlog`,
      fix,
    );
  return failed(
    name,
    `the source is a replica and log_slave_updates = ${value ?? 'OFF'}: changes replicated into it are not written to its binlog`,
    fix,
  );
}

/** The selected tables that exist, or every table of a whole-database selection. */
export function selectedTables(
  objects: readonly SelectedObject[],
  existing: readonly SourceTable[],
): SourceTable[] {
  return existing.filter((t) =>
    objects.some((o) => o.database === t.database && (o.tables === undefined || o.tables.includes(t.table))),
  );
}

export function decideObjects(
  objects: readonly SelectedObject[],
  databases: readonly string[],
  existing: readonly SourceTable[],
): PrecheckItem {
  const name = 'source.objects';
  const missing: string[] = [];
  for (const o of objects) {
    if (!databases.includes(o.database)) {
      missing.push(`database ${o.database}`);
      continue;
    }
    for (const t of o.tables ?? [])
      if (!existing.some((e) => e.database === o.database && e.table === t))
        missing.push(`${o.database}.${t}`);
  }
  if (missing.length > 0)
    return failed(
      name,
      `not found on the source (or not visible to the account): ${listNames(missing)}`,
      'create them, fix the names in spec.objects, or grant the account SELECT on them',
    );
  return passed(name, `${selectedTables(objects, existing).length} selected tables found`);
}

const UNSUPPORTED_ENGINES = ['FEDERATED', 'MRG_MYISAM', 'BLACKHOLE'];

export function decideStorageEngines(tables: readonly SourceTable[]): PrecheckItem {
  const name = 'source.storageEngine';
  const bad = tables.filter((t) => UNSUPPORTED_ENGINES.includes((t.engine ?? '').toUpperCase()));
  if (bad.length > 0)
    return failed(
      name,
      `tables whose rows are not in the source binlog: ${listNames(bad.map((t) => `${t.database}.${t.table} (${t.engine})`))}`,
      'exclude them: list the other tables under spec.objects[].tables instead of the whole database',
    );
  return passed(name, `no ${UNSUPPORTED_ENGINES.join('/')} tables among the selected ones`);
}

/** A column of a selected table, as information_schema lists it. */
export interface SourceColumn {
  table: string;
  column: string;
  dataType: string;
  columnType: string;
}

export function decideColumnTypes(columns: readonly SourceColumn[]): PrecheckItem {
  const name = 'source.columnTypes';
  const bad = columns.filter((c) => !isSupportedColumn(c.dataType, c.columnType));
  if (bad.length > 0)
    return failed(
      name,
      `columns DTS records cannot carry: ${listNames(bad.map((c) => `${c.table}.${c.column} (${c.columnType})`))}`,
      'list the other tables of those databases under spec.objects[].tables, or change the column types (docs/type-mapping.md)',
    );
  return passed(name, 'every column of the selected tables has a DTS type');
}

export function decidePrimaryKeys(tables: readonly SourceTable[]): PrecheckItem {
  const name = 'source.primaryKey';
  const keyless = tables.filter((t) => !t.hasKey);
  if (keyless.length > 0)
    return warning(
      name,
      `tables without a primary key or NOT NULL unique key: ${listNames(keyless.map((t) => `${t.database}.${t.table}`))}; their records may repeat after a restart, initialization scans them whole, and partitioning: primaryKey sends them to partition 0`,
      'add a primary key (or a unique key over NOT NULL columns) to each of them',
    );
  return passed(name, 'every selected table has a primary key or a NOT NULL unique key');
}

/** `'user'@'host'` as GRANT wants it, from CURRENT_USER() (`user@host`). */
export function accountName(currentUser: string): string {
  const at = currentUser.lastIndexOf('@');
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return at < 0
    ? quote(currentUser)
    : `${quote(currentUser.slice(0, at))}@${quote(currentUser.slice(at + 1))}`;
}

const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;

export function decidePrivileges(
  grants: readonly Grant[],
  objects: readonly SelectedObject[],
  account: string,
  isMariadb: boolean,
): PrecheckItem {
  const name = 'source.privileges';
  const global: string[] = [];
  if (!hasGlobal(grants, 'REPLICATION SLAVE')) global.push('REPLICATION SLAVE');
  // MariaDB 10.5 renamed REPLICATION CLIENT to BINLOG MONITOR and keeps the old name as an alias.
  if (!hasGlobal(grants, 'BINLOG MONITOR') && !hasGlobal(grants, 'REPLICATION CLIENT'))
    global.push(isMariadb ? 'BINLOG MONITOR' : 'REPLICATION CLIENT');
  const select: string[] = [];
  for (const o of objects) {
    if (o.tables === undefined) {
      if (!covers(grants, 'SELECT', o.database, '*')) select.push(`${ident(o.database)}.*`);
      continue;
    }
    for (const t of o.tables)
      if (!covers(grants, 'SELECT', o.database, t)) select.push(`${ident(o.database)}.${ident(t)}`);
  }
  if (global.length === 0 && select.length === 0)
    return passed(
      name,
      `${account} has REPLICATION SLAVE, ${isMariadb ? 'BINLOG MONITOR' : 'REPLICATION CLIENT'} and SELECT on the selected objects`,
    );
  const statements = [
    ...(global.length > 0 ? [`GRANT ${global.join(', ')} ON *.* TO ${account};`] : []),
    ...select.map((on) => `GRANT SELECT ON ${on} TO ${account};`),
  ];
  const lacks = [...global, ...(select.length > 0 ? [`SELECT on ${listNames(select)}`] : [])];
  return failed(name, `${account} lacks ${lacks.join(', ')}`, statements.join(' '));
}

/** A table that sets tables[].partitionKey, with the columns the source has for it (undefined: no such table). */
export interface PartitionKeyed {
  table: string;
  partitionKey: readonly string[];
  columns: readonly string[] | undefined;
}

export function decidePartitionKeys(keyed: readonly PartitionKeyed[], partitioning: string): PrecheckItem {
  const name = 'source.partitionKey';
  if (keyed.length === 0)
    return passed(name, 'no table sets partitionKey: records are partitioned by their key');
  if (partitioning !== 'primaryKey')
    return failed(
      name,
      `partitionKey of ${listNames(keyed.map((k) => k.table))} applies with target.partitioning primaryKey only, not ${partitioning}`,
      'set target.partitioning: primaryKey, or remove partitionKey from those tables',
    );
  // A missing table is source.objects' to report.
  const missing = keyed.flatMap((k) =>
    k.columns === undefined
      ? []
      : k.partitionKey.filter((c) => !k.columns!.includes(c)).map((c) => `${k.table}.${c}`),
  );
  if (missing.length > 0)
    return failed(
      name,
      `partitionKey names columns the source tables do not have: ${listNames(missing)}`,
      'fix the column names in tables[].partitionKey',
    );
  return passed(
    name,
    `partitioned by ${keyed.map((k) => `${k.table} (${k.partitionKey.join(', ')})`).join('; ')}`,
  );
}

/** A table that sets tables[].filter, with the columns the source has for it (undefined: no such table). */
export interface FilteredTable {
  table: string;
  filter: string;
  columns: readonly string[] | undefined;
}

export function decideFilters(filtered: readonly FilteredTable[]): PrecheckItem {
  const name = 'source.filter';
  if (filtered.length === 0) return passed(name, 'no table sets a filter: every row is synced');
  const problems: string[] = [];
  for (const f of filtered) {
    let columns: string[];
    try {
      columns = filterColumns(parseFilter(f.filter));
    } catch (err) {
      problems.push(`${f.table}: ${(err as Error).message}`);
      continue;
    }
    const missing = f.columns === undefined ? [] : columns.filter((c) => !f.columns!.includes(c));
    if (missing.length > 0) problems.push(`${f.table}: no column ${missing.join(', ')}`);
  }
  if (problems.length > 0)
    return failed(
      name,
      `filters that cannot apply: ${problems.join('; ')}`,
      'fix tables[].filter of those tables',
    );
  return passed(name, `filtered: ${filtered.map((f) => f.table).join(', ')}`);
}
