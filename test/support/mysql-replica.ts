// A MySQL replica of the test MySQL, as an HA setup has one: GTID auto-position replication, its
// own binlog with the replicated transactions (log_replica_updates), a second mysqld in the same
// Debian sid root as the primary (scripts/testenv/mysql.sh), started by the test that needs it (a
// process it controls, in a fresh datadir) and promoted by it, as a failover does.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort, type Replica, replicaHandle, spawnServer } from './replica.ts';
import type { TestEnv } from './testenv.ts';

const SERVER_ID = 12;

/**
 * Starts a replica that replicates from the primary's GTIDs as they are now (what the primary did
 * before is marked as applied, not copied: tests create what they replicate afterwards).
 */
export async function startMysqlReplica(env: TestEnv, primary: mysql.Connection): Promise<Replica> {
  const root = env.mysqlRootfs;
  if (!root) throw new Error('scripts/testenv.sh env did not print ORACLE_MYSQL_ROOTFS');
  const inRoot = `/srv/replica-${randomBytes(4).toString('hex')}`;
  const dir = path.join(root, inRoot);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'my.cnf'),
    [
      '[mysqld]',
      'user=root',
      `datadir=${inRoot}/data`,
      `port=${port}`,
      'bind-address=127.0.0.1',
      `socket=${inRoot}/mysqld.sock`,
      `pid-file=${inRoot}/mysqld.pid`,
      'secure-file-priv=',
      'mysqlx=OFF',
      'skip-name-resolve',
      `server-id=${SERVER_ID}`,
      `log-bin=${inRoot}/data/replica-bin`,
      'log-replica-updates=ON',
      'binlog_format=ROW',
      'binlog_row_image=FULL',
      'gtid_mode=ON',
      'enforce_gtid_consistency=ON',
      'performance_schema=OFF',
      'innodb_buffer_pool_size=64M',
      'skip-replica-start',
      '',
    ].join('\n'),
  );
  const chroot = (...args: string[]) => promisify(execFile)('chroot', [root, ...args]);
  await chroot('mysqld', `--defaults-file=${inRoot}/my.cnf`, '--initialize-insecure');
  // Until root@127.0.0.1 exists, root@localhost answers on the socket.
  const socketPath = path.join(dir, 'mysqld.sock');
  const { child, exited } = await spawnServer(
    `MySQL replica on 127.0.0.1:${port}`,
    'chroot',
    [root, 'mysqld', `--defaults-file=${inRoot}/my.cnf`],
    () => mysql.createConnection({ socketPath, user: 'root' }),
  );
  const admin = await mysql.createConnection({ socketPath, user: 'root', multipleStatements: true });
  try {
    await admin.query(`
      CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
      CREATE USER '${env.mysql.syncUser}'@'%' IDENTIFIED BY '${env.mysql.syncPassword}';
      GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '${env.mysql.syncUser}'@'%';
      RESET BINARY LOGS AND GTIDS;`);
    const [[executed]] = await primary.query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.gtid_executed AS s');
    await admin.query('SET GLOBAL gtid_purged = ?', [String(executed!.s)]);
    await admin.query(
      `CHANGE REPLICATION SOURCE TO SOURCE_HOST = '${env.mysql.host}', SOURCE_PORT = ${env.mysql.port}, SOURCE_USER = '${env.mysql.rootUser}', SOURCE_PASSWORD = '${env.mysql.rootPassword}', SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1`,
    );
    await admin.query('START REPLICA');
  } finally {
    await admin.end();
  }
  const connect = () => mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '' });
  return replicaHandle(
    {
      primaryGtidsSql: 'SELECT @@GLOBAL.gtid_executed AS s',
      waitSql: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, 120) AS r',
      promoteSql: ['STOP REPLICA', 'RESET REPLICA ALL'],
    },
    { port, serverId: SERVER_ID, child, exited, dir },
    connect,
  );
}
