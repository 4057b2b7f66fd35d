// A MySQL replica of the test MySQL, as an HA setup has one: GTID auto-position replication, its
// own binlog with the replicated transactions (log_replica_updates), a second mysqld in the same
// Debian sid root as the primary (scripts/testenv/mysql.sh), started by the test that needs it (a
// process it controls, in a fresh datadir) and promoted by it, as a failover does.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { eventually } from './cli-process.ts';
import { createTail, showOnFailure } from './failure-output.ts';
import { freePort, type Replica, replicaHandle } from './replica.ts';
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
  const log = createTail(64 * 1024);
  showOnFailure(`mysql replica on 127.0.0.1:${port}`, log.text);
  const child: ChildProcess = spawn('chroot', [root, 'mysqld', `--defaults-file=${inRoot}/my.cnf`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => log.write(d.toString()));
  child.stderr!.on('data', (d: Buffer) => log.write(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Until root@127.0.0.1 exists, root@localhost answers on the socket.
  const socketPath = path.join(dir, 'mysqld.sock');
  await eventually(
    async () => {
      const conn = await mysql.createConnection({ socketPath, user: 'root' }).catch(() => null);
      await conn?.end();
      return conn !== null;
    },
    'the MySQL replica to accept connections',
    60_000,
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
