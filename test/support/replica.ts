// What the failover tests need of a replica, whatever the server: started by the test (a process
// it controls), caught up with the primary, promoted. mariadb-replica.ts and mysql-replica.ts start
// one each; the dialects differ only in the statements below.
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type mysql from 'mysql2/promise';
import { eventually } from './cli-process.ts';
import { createTail, showOnFailure } from './failure-output.ts';

export interface Replica {
  port: number;
  serverId: number;
  /** A root connection to the replica. */
  connect(): Promise<mysql.Connection>;
  /** Waits until the replica applied everything the primary has now. */
  caughtUp(primary: mysql.Connection): Promise<void>;
  /** Stops replicating and takes writes: the new primary. */
  promote(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The statements of one server dialect. */
export interface ReplicaDialect {
  /** The primary's GTIDs now (one column `s`). */
  primaryGtidsSql: string;
  /** Waits for those GTIDs up to 120 s; 0 when applied (one column `r`). */
  waitSql: string;
  promoteSql: string[];
}

export function replicaHandle(
  dialect: ReplicaDialect,
  process: { port: number; serverId: number; child: ChildProcess; exited: Promise<void>; dir: string },
  connect: () => Promise<mysql.Connection>,
): Replica {
  const { port, serverId, child, exited, dir } = process;
  const onReplica = async <T>(fn: (conn: mysql.Connection) => Promise<T>): Promise<T> => {
    const conn = await connect();
    try {
      return await fn(conn);
    } finally {
      await conn.end();
    }
  };
  return {
    port,
    serverId,
    connect,
    async caughtUp(primary) {
      const [[gtids]] = await primary.query<mysql.RowDataPacket[]>(dialect.primaryGtidsSql);
      const [[waited]] = await onReplica((conn) =>
        conn.query<mysql.RowDataPacket[]>(dialect.waitSql, [String(gtids!.s)]),
      );
      if (Number(waited!.r) !== 0) throw new Error(`the replica did not reach ${gtids!.s} in 120 s`);
    },
    promote: () =>
      onReplica(async (conn) => {
        for (const sql of dialect.promoteSql) await conn.query(sql);
      }),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a server process whose output is shown when a test fails, and resolves once `connect`
 * succeeds.
 */
export async function spawnServer(
  what: string,
  command: string,
  args: string[],
  connect: () => Promise<mysql.Connection>,
): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const log = createTail(64 * 1024);
  showOnFailure(what, log.text);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => log.write(d.toString()));
  child.stderr!.on('data', (d: Buffer) => log.write(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await eventually(
    async () => {
      const conn = await connect().catch(() => null);
      await conn?.end();
      return conn !== null;
    },
    `the ${what} to accept connections`,
    60_000,
  );
  return { child, exited };
}
