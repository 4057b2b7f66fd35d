import ZongJi from '@vlasky/zongji';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv, uniqueName } from '../../support/testenv.ts';

// Proves the test MariaDB is a usable CDC source: ROW/FULL binlog, GTID, and a sync account with
// only the grants a managed database gives, which is enough to stream row events.
describe('test MariaDB', () => {
  const { mysql: db } = testEnv();
  const database = uniqueName('smoke').replace('-', '_');
  let root: mysql.Connection;

  beforeAll(async () => {
    root = await mysql.createConnection({
      host: db.host,
      port: db.port,
      user: db.rootUser,
      password: db.rootPassword,
    });
    await root.query(`CREATE DATABASE ${database}`);
    await root.query(`CREATE TABLE ${database}.orders (id INT PRIMARY KEY, note VARCHAR(64))`);
  });

  afterAll(async () => {
    await root.query(`DROP DATABASE IF EXISTS ${database}`);
    await root.end();
  });

  it('runs with binlog ROW, row image FULL and GTID', async () => {
    const [rows] = await root.query<mysql.RowDataPacket[]>(
      `SELECT @@log_bin AS logBin, @@binlog_format AS format, @@binlog_row_image AS image, @@gtid_binlog_pos AS gtid`,
    );
    expect(rows[0]).toMatchObject({ logBin: 1, format: 'ROW', image: 'FULL' });
  });

  it('gives the sync account exactly SELECT, REPLICATION SLAVE and BINLOG MONITOR', async () => {
    const sync = await mysql.createConnection({
      host: db.host,
      port: db.port,
      user: db.syncUser,
      password: db.syncPassword,
    });
    try {
      const [grants] = await sync.query<mysql.RowDataPacket[]>('SHOW GRANTS');
      const text = grants.map((g) => Object.values(g)[0]).join('\n');
      expect(text).toMatch(/GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON \*\.\*/);
      await expect(sync.query(`INSERT INTO ${database}.orders VALUES (99, 'x')`)).rejects.toThrow(/denied/);
    } finally {
      await sync.end();
    }
  });

  it('streams an inserted row to zongji through the least-privilege account', async () => {
    const zongji = new ZongJi({ host: db.host, port: db.port, user: db.syncUser, password: db.syncPassword });
    try {
      const received = new Promise<{ rows: unknown[]; gtid: string | undefined }>((resolve, reject) => {
        zongji.on('error', reject);
        zongji.on('binlog', (event: { getEventName(): string; rows?: unknown[]; gtid?: string }) => {
          if (event.getEventName() === 'writerows') resolve({ rows: event.rows ?? [], gtid: event.gtid });
        });
      });
      const ready = new Promise<void>((resolve) => zongji.on('ready', () => resolve()));
      zongji.start({
        serverId: 4242,
        startAtEnd: true,
        includeEvents: ['tablemap', 'writerows'],
        includeSchema: { [database]: ['orders'] },
      });
      await ready;
      await root.query(`INSERT INTO ${database}.orders VALUES (1, 'first order ✓')`);
      const { rows } = await received;
      expect(rows).toEqual([{ id: 1, note: 'first order ✓' }]);
    } finally {
      zongji.stop();
    }
  });
});
