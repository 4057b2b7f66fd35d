import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export interface TestEnv {
  /**
   * The source the tests read: MariaDB, or the real MySQL server in the integration-mysql project
   * (the same suites, vitest.config.ts).
   */
  sourceType: 'mariadb' | 'mysql';
  /** The Debian sid root the test MySQL runs in (a replica runs there too). */
  mysqlRootfs: string | undefined;
  mysql: {
    host: string;
    port: number;
    rootUser: string;
    rootPassword: string;
    syncUser: string;
    syncPassword: string;
  };
  kafka: {
    brokers: string[];
    version: string;
    /**
     * The SASL_PLAINTEXT listener; one user for every mechanism. `limited` is a SCRAM-SHA-512 user
     * that may do only what a test grants it by ACL (everyone else is a super user).
     */
    sasl: {
      brokers: string[];
      mechanisms: string[];
      user: string;
      password: string;
      limited: { user: string; password: string };
    };
    /** The SSL listener; `ca` is the path of the test CA's PEM certificate. */
    ssl: { brokers: string[]; ca: string };
    /** The broker's pid file: outage tests freeze and thaw it. */
    pidFile: string;
    /**
     * Compat brokers of other Kafka versions (`scripts/testenv.sh up kafka-compat`) running now,
     * oldest first.
     */
    compat?: { version: string; brokers: string[] }[];
    /** The compat versions testenv is configured to start (SYNCJOB_KAFKA_COMPAT_VERSIONS). */
    compatExpected?: string[];
  };
  kube: { kubeconfig: string; kubectl: string; helm: string; prometheus: string; promtool: string };
}

function required(env: Record<string, string>, key: string): string {
  const value = env[key];
  if (value === undefined) throw new Error(`scripts/testenv.sh env did not print ${key}`);
  return value;
}

// KAFKA_0_10_BROKERS + KAFKA_0_10_VERSION, one pair per compat broker that runs.
function compatBrokers(env: Record<string, string>): { version: string; brokers: string[] }[] {
  const found: { version: string; brokers: string[] }[] = [];
  for (const [key, value] of Object.entries(env)) {
    const line = /^KAFKA_(\d+_\d+)_BROKERS$/.exec(key)?.[1];
    if (line === undefined) continue;
    found.push({ version: required(env, `KAFKA_${line}_VERSION`), brokers: value.split(',') });
  }
  const order = (v: string) =>
    v
      .split('.')
      .map((n) => n.padStart(4, '0'))
      .join('.');
  return found.sort((a, b) => order(a.version).localeCompare(order(b.version)));
}

/** Coordinates of the real services started by scripts/testenv.sh (see global-setup.ts). */
export function testEnv(): TestEnv {
  const env = inject('testenv');
  const kubeBin = required(env, 'SYNCJOB_KUBE_BIN');
  return {
    sourceType: required(env, 'SYNCJOB_TEST_SOURCE_TYPE') === 'mysql' ? 'mysql' : 'mariadb',
    mysqlRootfs: env.ORACLE_MYSQL_ROOTFS,
    mysql: {
      host: required(env, 'MYSQL_HOST'),
      port: Number(required(env, 'MYSQL_PORT')),
      rootUser: required(env, 'MYSQL_ROOT_USER'),
      rootPassword: required(env, 'MYSQL_ROOT_PASSWORD'),
      syncUser: required(env, 'MYSQL_SYNC_USER'),
      syncPassword: required(env, 'MYSQL_SYNC_PASSWORD'),
    },
    kafka: {
      brokers: required(env, 'KAFKA_BROKERS').split(','),
      version: required(env, 'KAFKA_VERSION'),
      sasl: {
        brokers: required(env, 'KAFKA_SASL_BROKERS').split(','),
        mechanisms: required(env, 'KAFKA_SASL_MECHANISMS').split(','),
        user: required(env, 'KAFKA_SASL_USER'),
        password: required(env, 'KAFKA_SASL_PASSWORD'),
        limited: { user: required(env, 'KAFKA_ACL_USER'), password: required(env, 'KAFKA_ACL_PASSWORD') },
      },
      ssl: { brokers: required(env, 'KAFKA_SSL_BROKERS').split(','), ca: required(env, 'KAFKA_SSL_CA') },
      pidFile: required(env, 'KAFKA_PID_FILE'),
      compat: compatBrokers(env),
      compatExpected: env.KAFKA_COMPAT_VERSIONS?.split(' ').filter(Boolean) ?? [],
    },
    kube: {
      kubeconfig: required(env, 'KUBECONFIG'),
      kubectl: path.join(kubeBin, 'kubectl'),
      helm: path.join(kubeBin, 'helm'),
      prometheus: path.join(kubeBin, 'prometheus'),
      promtool: path.join(kubeBin, 'promtool'),
    },
  };
}

/** A name no other test run uses, valid as a database, topic or Kubernetes name. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

const testenvScript = fileURLToPath(new URL('../../scripts/testenv.sh', import.meta.url));

/**
 * Runs `command` in bash after `eval "$(scripts/testenv.sh env)"`, exactly as README tells a user
 * to set up a shell; returns stdout, rejects with stderr on a non-zero exit.
 */
export function inTestenvShell(command: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', `set -euo pipefail; eval "$(${testenvScript} env)"; ${command}`],
      // A plain login shell's environment, plus the SYNCJOB_* settings testenv.sh reads (ports).
      {
        encoding: 'utf8',
        timeout: timeoutMs,
        env: {
          ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SYNCJOB_'))),
          HOME: process.env.HOME,
          PATH: '/usr/local/bin:/usr/bin:/bin',
        },
      },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${command}: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

/** One transaction's GTID as the test source writes it: MariaDB `0-1-42`, MySQL `uuid:42`. */
export function gtidPattern(env: TestEnv): RegExp {
  return env.sourceType === 'mysql' ? /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}:\d+$/ : /^\d+-\d+-\d+$/;
}

/** The privilege that reads binlog coordinates, as the test source names it. */
export const binlogMonitorPrivilege = (env: TestEnv): string =>
  env.sourceType === 'mysql' ? 'REPLICATION CLIENT' : 'BINLOG MONITOR';
