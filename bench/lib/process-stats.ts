// CPU time and peak memory of a process the bench started, read from /proc (Linux).
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every architecture Node runs on here.
const TICKS_PER_SECOND = 100;

export interface ProcessStats {
  /** User plus system CPU seconds since the process started. */
  cpuSeconds: number;
  /** The highest resident set size so far (VmHWM), MiB. */
  peakRssMiB: number;
}

export function processStats(pid: number): ProcessStats {
  // Fields after the command name (which may hold spaces) start at the state, field 3.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds, peakRssMiB: Math.round(Number(hwm?.[1] ?? 0) / 1024) };
}

/** Stops a child with SIGTERM once its stats are read (a process's /proc entry goes with it). */
export function stopWithStats(child: ChildProcess): () => Promise<ProcessStats> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return async () => {
    const stats = processStats(child.pid!);
    child.kill('SIGTERM');
    await exited;
    return stats;
  };
}

/**
 * CPU seconds so far of the services the tools share (the source, the Kafka broker) and of this
 * process (the bench's writer and consumer): with the tool's own, where a scenario's CPU went.
 */
export function sharedCpuSeconds(source: 'mariadb' | 'mysql'): { services: number; bench: number } {
  const cache = process.env.SYNCJOB_CACHE ?? path.join(os.homedir(), '.cache/syncjob-operator');
  const state = process.env.SYNCJOB_TESTENV_STATE ?? path.join(cache, 'run');
  const pidOf = (file: string) => Number(readFileSync(file, 'utf8').trim());
  // scripts/testenv/mysql.sh runs MySQL in its own root: its pid file is there.
  const sourcePid =
    source === 'mysql'
      ? path.join(cache, 'mysql-sid-root/srv/mysql/mysqld.pid')
      : path.join(state, 'mariadb/mariadbd.pid');
  const services = [sourcePid, path.join(state, 'kafka/kafka.pid')]
    .map((f) => processStats(pidOf(f)).cpuSeconds)
    .reduce((a, b) => a + b, 0);
  const own = process.cpuUsage();
  return { services, bench: (own.user + own.system) / 1e6 };
}
