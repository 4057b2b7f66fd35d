import { describe, expect, it } from 'vitest';
import { parseGrants } from '../../../src/precheck/grants.ts';
import {
  accountName,
  decideBinlog,
  decideBinlogFormat,
  decideBinlogRetention,
  decideBinlogRowImage,
  decideColumnTypes,
  decideLogSlaveUpdates,
  decideObjects,
  decidePartitionKeys,
  decidePolardbEndpoint,
  decidePrimaryKeys,
  decidePrivileges,
  decideRowValueOptions,
  decideServerId,
  decideServerIdUnique,
  decideStorageEngines,
  decideVersion,
  selectedTables,
} from '../../../src/precheck/source-decisions.ts';

describe('decideVersion', () => {
  it('accepts MariaDB 10.5+, MySQL 5.7 and 8.x', () => {
    expect(decideVersion('mariadb', '10.11.6-MariaDB-log').result).toBe('Passed');
    expect(decideVersion('mysql', '5.7.44-log').result).toBe('Passed');
    expect(decideVersion('polardb-mysql', '8.0.18').result).toBe('Passed');
  });
  it('fails older servers and warns on a type mismatch', () => {
    expect(decideVersion('mariadb', '10.4.30-MariaDB')).toMatchObject({ result: 'Failed' });
    expect(decideVersion('mysql', '5.6.51')).toMatchObject({ result: 'Failed' });
    expect(decideVersion('mysql', '10.6.1-MariaDB')).toMatchObject({
      result: 'Warning',
      fix: expect.stringContaining('source.type: mariadb'),
    });
  });
});

describe('binlog settings', () => {
  it('checks log_bin, including the PolarDB switch', () => {
    expect(decideBinlog({ log_bin: 'ON' }).result).toBe('Passed');
    expect(decideBinlog({ log_bin: 'OFF', loose_polar_log_bin: 'ON' }).result).toBe('Passed');
    expect(decideBinlog({ log_bin: 'OFF' })).toMatchObject({
      result: 'Failed',
      message: expect.stringContaining('OFF'),
    });
  });
  it('requires ROW and FULL with the SET GLOBAL fix', () => {
    expect(decideBinlogFormat({ binlog_format: 'ROW' }).result).toBe('Passed');
    expect(decideBinlogFormat({ binlog_format: 'MIXED' })).toMatchObject({
      result: 'Failed',
      message: expect.stringContaining('MIXED'),
      fix: expect.stringContaining("SET GLOBAL binlog_format='ROW'"),
    });
    expect(decideBinlogRowImage({ binlog_row_image: 'FULL' }).result).toBe('Passed');
    expect(decideBinlogRowImage({ binlog_row_image: 'NOBLOB' })).toMatchObject({
      result: 'Failed',
      fix: expect.stringContaining("SET GLOBAL binlog_row_image='FULL'"),
    });
  });
  it('requires a positive server_id that differs from the job id', () => {
    expect(decideServerId({ server_id: '1' }, 99).result).toBe('Passed');
    expect(decideServerId({ server_id: '0' }, 99).result).toBe('Failed');
    expect(decideServerId({ server_id: '99' }, 99)).toMatchObject({
      result: 'Failed',
      fix: expect.stringContaining('source.serverId'),
    });
    expect(decideServerId({ server_id: '1' }, 99, [{ serverId: 99, host: 'replica-2:3306' }])).toMatchObject({
      result: 'Failed',
      message: expect.stringContaining(
        'replica replica-2:3306 is registered on the source with server id 99',
      ),
    });
    expect(decideServerId({ server_id: '1' }, 99, [{ serverId: 7, host: 'replica-2:3306' }]).result).toBe(
      'Passed',
    );
  });
  it('refuses the later of two SyncJobs reading one source with one server id, naming the first', () => {
    const job = (name: string, created: string, serverId = 5, host = 'db.shop') => ({
      namespace: 'ns',
      name,
      created,
      source: { host, port: 3306 },
      serverId,
    });
    const first = job('first', '2026-01-01T00:00:00.000Z');
    const second = job('second', '2026-01-02T00:00:00.000Z');
    expect(decideServerIdUnique(first, [first, second]).result).toBe('Passed');
    expect(decideServerIdUnique(second, [first, second])).toMatchObject({
      result: 'Failed',
      message: expect.stringContaining('SyncJob ns/first already reads db.shop:3306 with server id 5'),
      fix: expect.stringContaining('spec.source.serverId'),
    });
    // Another namespace's job is not named.
    expect(decideServerIdUnique(second, [{ ...first, namespace: 'tenant-b' }]).message).toMatch(
      /^a SyncJob of another namespace already reads/,
    );
    // Another id, or another source: no conflict.
    expect(decideServerIdUnique(second, [job('first', first.created, 6)]).result).toBe('Passed');
    expect(decideServerIdUnique(second, [job('first', first.created, 5, 'db.other')]).result).toBe('Passed');
  });
  it('requires log_slave_updates only on a replica', () => {
    expect(decideLogSlaveUpdates({ log_slave_updates: 'OFF' }, false).result).toBe('Passed');
    expect(decideLogSlaveUpdates({ log_slave_updates: 'ON' }, true).result).toBe('Passed');
    expect(decideLogSlaveUpdates({ log_slave_updates: 'OFF' }, true).result).toBe('Failed');
    expect(decideLogSlaveUpdates({ log_slave_updates: 'OFF' }, undefined).result).toBe('Warning');
  });
});

describe('objects, engines and keys', () => {
  const existing = [
    { database: 'shop', table: 'orders', engine: 'InnoDB', hasKey: true },
    { database: 'shop', table: 'log', engine: 'BLACKHOLE', hasKey: false },
    { database: 'crm', table: 'notes', engine: 'InnoDB', hasKey: false },
  ];
  const objects = [
    { database: 'shop' },
    { database: 'crm', tables: ['notes', 'gone'] },
    { database: 'nodb' },
  ];

  it('lists missing databases and tables', () => {
    expect(decideObjects(objects, ['shop', 'crm'], existing)).toMatchObject({
      result: 'Failed',
      message: expect.stringContaining('crm.gone, database nodb'),
    });
    expect(decideObjects([{ database: 'shop' }], ['shop'], existing).result).toBe('Passed');
  });
  it('fails unsupported engines and warns on keyless tables', () => {
    const selected = selectedTables(objects, existing);
    expect(selected).toHaveLength(3);
    expect(decideStorageEngines(selected)).toMatchObject({
      result: 'Failed',
      message: expect.stringContaining('shop.log (BLACKHOLE)'),
    });
    expect(decidePrimaryKeys(selected)).toMatchObject({
      result: 'Warning',
      message: expect.stringContaining('shop.log, crm.notes'),
    });
    expect(decidePrimaryKeys(selected.slice(0, 1)).result).toBe('Passed');
  });
});

describe('decidePrivileges', () => {
  const objects = [{ database: 'shop' }, { database: 'crm', tables: ['customers'] }];
  const account = accountName('sync@%');

  it('passes the managed-database grant set', () => {
    const grants = parseGrants(['GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `sync`@`%`']);
    expect(decidePrivileges(grants, objects, account, true).result).toBe('Passed');
  });
  it('accepts REPLICATION CLIENT and per-database SELECT', () => {
    const grants = parseGrants([
      'GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `sync`@`%`',
      'GRANT SELECT ON `shop`.* TO `sync`@`%`',
      'GRANT SELECT ON `crm`.`customers` TO `sync`@`%`',
    ]);
    expect(decidePrivileges(grants, objects, account, false).result).toBe('Passed');
  });
  it('gives the exact GRANT statements for what is missing', () => {
    const grants = parseGrants(['GRANT SELECT ON `crm`.* TO `sync`@`%`']);
    expect(decidePrivileges(grants, objects, account, true)).toEqual({
      name: 'source.privileges',
      result: 'Failed',
      message: "'sync'@'%' lacks REPLICATION SLAVE, BINLOG MONITOR, SELECT on `shop`.*",
      fix: "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'sync'@'%'; GRANT SELECT ON `shop`.* TO 'sync'@'%';",
    });
    expect(decidePrivileges([], [{ database: 'crm', tables: ['customers'] }], account, false).fix).toBe(
      "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'sync'@'%'; GRANT SELECT ON `crm`.`customers` TO 'sync'@'%';",
    );
  });
});

describe('decidePartitionKeys', () => {
  const keyed = (partitionKey: string[], columns: string[] | undefined = ['id', 'customer']) => ({
    table: 'shop.orders',
    partitionKey,
    columns,
  });
  it('passes existing columns under primaryKey partitioning, and jobs without any', () => {
    expect(decidePartitionKeys([], 'table').result).toBe('Passed');
    expect(decidePartitionKeys([keyed(['customer'])], 'primaryKey').result).toBe('Passed');
    // A missing table is source.objects' to report.
    expect(decidePartitionKeys([keyed(['customer'], undefined)], 'primaryKey').result).toBe('Passed');
  });
  it('fails a column the table lacks, naming it, and another partitioning mode', () => {
    expect(decidePartitionKeys([keyed(['client'])], 'primaryKey')).toMatchObject({
      result: 'Failed',
      message: expect.stringContaining('shop.orders.client'),
    });
    expect(decidePartitionKeys([keyed(['customer'])], 'table')).toMatchObject({
      result: 'Failed',
      fix: expect.stringContaining('target.partitioning: primaryKey'),
    });
  });
});

describe('MySQL and PolarDB settings', () => {
  it('fails PARTIAL_JSON row values', () => {
    expect(decideRowValueOptions({ binlog_row_value_options: '' }).result).toBe('Passed');
    expect(decideRowValueOptions({}).result).toBe('Passed');
    expect(decideRowValueOptions({ binlog_row_value_options: 'PARTIAL_JSON' })).toMatchObject({
      result: 'Failed',
      fix: expect.stringContaining("SET GLOBAL binlog_row_value_options=''"),
    });
  });

  it('warns when binlogs are kept less than 7 days, PolarDB in its console words', () => {
    expect(decideBinlogRetention('mysql', { binlog_expire_logs_seconds: '2592000' }).result).toBe('Passed');
    expect(decideBinlogRetention('mariadb', { expire_logs_days: '0' }).result).toBe('Passed');
    expect(decideBinlogRetention('mysql', { binlog_expire_logs_seconds: '86400' })).toMatchObject({
      result: 'Warning',
      message: expect.stringContaining('24 hours'),
      fix: expect.stringContaining('binlog_expire_logs_seconds=604800'),
    });
    expect(decideBinlogRetention('polardb-mysql', { loose_expire_logs_hours: '72' })).toMatchObject({
      result: 'Warning',
      fix: expect.stringContaining('PolarDB console'),
    });
  });

  it('asks PolarDB jobs for the primary endpoint, and fails a read-only node', () => {
    expect(decidePolardbEndpoint('mysql', { read_only: 'ON' })).toEqual([]);
    expect(decidePolardbEndpoint('polardb-mysql', { read_only: 'OFF' })).toMatchObject([
      { result: 'Warning' },
    ]);
    expect(decidePolardbEndpoint('polardb-mysql', { read_only: 'ON' })).toMatchObject([{ result: 'Failed' }]);
  });

  it('names the columns DTS records cannot carry', () => {
    const column = (c: string, dataType: string, columnType = dataType) => ({
      table: 'shop.items',
      column: c,
      dataType,
      columnType,
    });
    expect(decideColumnTypes([column('id', 'int'), column('doc', 'json')]).result).toBe('Passed');
    expect(decideColumnTypes([column('id', 'int'), column('emb', 'vector', 'vector(3)')])).toMatchObject({
      result: 'Failed',
      message: expect.stringContaining('shop.items.emb (vector(3))'),
    });
  });
});
