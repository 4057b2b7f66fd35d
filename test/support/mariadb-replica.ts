// A MariaDB replica of the test primary, as an HA setup has one: GTID replication, its own
// binlog with the replicated transactions (log_slave_updates), started by the test that needs it
// (a process it controls, in a temporary datadir) and promoted by it, as a failover does.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort, type Replica, replicaHandle, spawnServer } from './replica.ts';
import type { TestEnv } from './testenv.ts';

const SERVER_ID = 2;

/**
 * Starts a replica that replicates from the primary's binlog end as it is now (what the primary
 * did before is not copied: tests create what they replicate afterwards).
 */
export async function startMariadbReplica(env: TestEnv, primary: mysql.Connection): Promise<Replica> {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncjob-replica-'));
  const data = path.join(dir, 'data');
  await promisify(execFile)('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  const port = await freePort();
  const connect = () => mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '' });
  const { child, exited } = await spawnServer(
    `MariaDB replica on 127.0.0.1:${port}`,
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}`,
      '--user=root',
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${path.join(dir, 'mariadbd.sock')}`,
      `--log-bin=${path.join(data, 'replica-bin')}`,
      '--binlog-format=ROW',
      '--binlog-row-image=FULL',
      '--binlog-row-metadata=FULL',
      `--server-id=${SERVER_ID}`,
      '--log-slave-updates=ON',
      '--gtid-strict-mode=ON',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_general_ci',
      '--innodb-buffer-pool-size=64M',
      '--skip-name-resolve',
    ],
    connect,
  );
  const admin = await connect();
  try {
    // The sync account a job reads with, made here only (not in the replica's binlog: no GTID
    // of its own that the primary lacks).
    await admin.query('SET SESSION sql_log_bin = 0');
    await admin.query(`CREATE USER '${env.mysql.syncUser}'@'%' IDENTIFIED BY '${env.mysql.syncPassword}'`);
    await admin.query(
      `GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '${env.mysql.syncUser}'@'%'`,
    );
    await admin.query('SET SESSION sql_log_bin = 1');
    const [[pos]] = await primary.query<mysql.RowDataPacket[]>('SELECT @@gtid_binlog_pos AS pos');
    await admin.query('SET GLOBAL gtid_slave_pos = ?', [pos!.pos]);
    await admin.query(
      `CHANGE MASTER TO MASTER_HOST = '${env.mysql.host}', MASTER_PORT = ${env.mysql.port}, MASTER_USER = '${env.mysql.rootUser}', MASTER_PASSWORD = '${env.mysql.rootPassword}', MASTER_USE_GTID = slave_pos`,
    );
    await admin.query('START SLAVE');
  } finally {
    await admin.end();
  }
  return replicaHandle(
    {
      primaryGtidsSql: 'SELECT @@gtid_binlog_pos AS s',
      waitSql: 'SELECT MASTER_GTID_WAIT(?, 120) AS r',
      promoteSql: ['STOP SLAVE', 'RESET SLAVE ALL'],
    },
    { port, serverId: SERVER_ID, child, exited, dir },
    connect,
  );
}
