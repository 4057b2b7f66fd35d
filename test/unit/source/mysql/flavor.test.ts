import { describe, expect, it } from 'vitest';
import type { SyncError } from '../../../../src/errors.ts';
import { classifyBinlogError, parseFlavor } from '../../../../src/source/mysql/flavor.ts';

describe('parseFlavor', () => {
  it('knows which statement gives the binlog end', () => {
    expect(parseFlavor('9.7.4-2').binlogStatusSql).toBe('SHOW BINARY LOG STATUS');
    expect(parseFlavor('8.4.3').binlogStatusSql).toBe('SHOW BINARY LOG STATUS');
    expect(parseFlavor('8.2.0').binlogStatusSql).toBe('SHOW BINARY LOG STATUS');
    expect(parseFlavor('8.0.36').binlogStatusSql).toBe('SHOW MASTER STATUS');
    expect(parseFlavor('5.7.44-log').binlogStatusSql).toBe('SHOW MASTER STATUS');
    expect(parseFlavor('10.11.6-MariaDB-log').binlogStatusSql).toBe('SHOW MASTER STATUS');
  });

  it('asks for heartbeats with the names the server reads', () => {
    expect(parseFlavor('8.0.26').binlogSessionSql(2000)).toEqual([
      'SET @source_heartbeat_period = 2000000000, @master_heartbeat_period = 2000000000',
    ]);
    expect(parseFlavor('8.0.25').binlogSessionSql(1000)).toEqual([
      'SET @master_heartbeat_period = 1000000000',
    ]);
    expect(parseFlavor('11.8.2-MariaDB').binlogSessionSql(1000)).toEqual([
      'SET @master_heartbeat_period = 1000000000',
    ]);
  });

  it('shows generated invisible primary keys where the server has them (8.0.30+)', () => {
    expect(parseFlavor('8.0.30').sessionSql).toHaveLength(1);
    expect(parseFlavor('8.0.29').sessionSql).toEqual([]);
    expect(parseFlavor('10.11.6-MariaDB').sessionSql).toEqual([]);
  });

  it('supports MySQL 5.7 to 9.x and MariaDB 10.5+, and names the rest', () => {
    for (const v of ['5.7.44', '8.0.18', '8.4.0', '9.7.4-2', '10.5.1-MariaDB', '11.8.2-MariaDB'])
      expect(parseFlavor(v).supported, v).toBe(true);
    expect(parseFlavor('5.6.51')).toMatchObject({
      supported: false,
      unsupported: expect.stringContaining('5.6'),
    });
    expect(parseFlavor('10.4.30-MariaDB')).toMatchObject({ supported: false });
    expect(parseFlavor('garbage')).toMatchObject({ supported: false });
    expect(parseFlavor('10.11.6-MariaDB').binlogMonitorPrivilege).toBe('BINLOG MONITOR');
    expect(parseFlavor('8.0.36').binlogMonitorPrivilege).toBe('REPLICATION CLIENT');
  });
});

describe('classifyBinlogError', () => {
  const e1236 = (message: string) => Object.assign(new Error(message), { errno: 1236 });

  it('tells a purge from the other conditions of error 1236', () => {
    const purged = classifyBinlogError(
      e1236('Could not find first log file name in binary log index file'),
      7,
    ) as SyncError;
    expect(purged).toMatchObject({ reason: 'BinlogPurged', retriable: false });
    const transient = e1236('could not find next log; the first event ...');
    expect(classifyBinlogError(transient, 7)).toBe(transient);
    expect(
      classifyBinlogError(
        e1236(
          'The replication receiver thread cannot start in AUTO_POSITION mode: this server has GTID_MODE = OFF',
        ),
        7,
      ),
    ).toMatchObject({ reason: 'InvalidConfiguration', retriable: false });
  });

  it('names another reader with the same server id, on MySQL and MariaDB', () => {
    for (const message of [
      "A replica with the same server_uuid/server_id as this replica has connected to the source; the first event 'binlog.000001' at 4",
      'A slave with the same server_uuid/server_id is already connected',
    ])
      expect(classifyBinlogError(e1236(message), 4242)).toMatchObject({
        reason: 'ServerIdConflict',
        retriable: false,
        fix: expect.stringContaining('4242 is taken'),
      });
  });

  it('stops on columns the metadata does not explain, and leaves other errors retriable', () => {
    expect(
      classifyBinlogError(
        new Error('Table q.nokey schema changed between binlog event and metadata fetch'),
        1,
      ),
    ).toMatchObject({ reason: 'TableColumnsUnexplained', retriable: false });
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(classifyBinlogError(reset, 1)).toBe(reset);
  });
});

describe('classifyBinlogError, tables without readable columns', () => {
  it('stops with TableSchemaUnavailable, naming the table and binlog_row_metadata', () => {
    expect(classifyBinlogError(new Error('Insufficient permissions to access: shop.gone'), 1)).toMatchObject({
      reason: 'TableSchemaUnavailable',
      retriable: false,
      message: expect.stringContaining('shop.gone'),
      fix: expect.stringContaining('binlog_row_metadata=FULL'),
    });
  });
});
