import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { inject } from 'vitest';

export interface TestEnv {
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
    /** The SASL_PLAINTEXT listener; one user for every mechanism. */
    sasl: { brokers: string[]; mechanisms: string[]; user: string; password: string };
    /** The SSL listener; `ca` is the path of the test CA's PEM certificate. */
    ssl: { brokers: string[]; ca: string };
  };
  kube: { kubeconfig: string; kubectl: string; helm: string };
}

function required(env: Record<string, string>, key: string): string {
  const value = env[key];
  if (value === undefined) throw new Error(`scripts/testenv.sh env did not print ${key}`);
  return value;
}

/** Coordinates of the real services started by scripts/testenv.sh (see global-setup.ts). */
export function testEnv(): TestEnv {
  const env = inject('testenv');
  const kubeBin = required(env, 'SYNCJOB_KUBE_BIN');
  return {
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
      },
      ssl: { brokers: required(env, 'KAFKA_SSL_BROKERS').split(','), ca: required(env, 'KAFKA_SSL_CA') },
    },
    kube: {
      kubeconfig: required(env, 'KUBECONFIG'),
      kubectl: path.join(kubeBin, 'kubectl'),
      helm: path.join(kubeBin, 'helm'),
    },
  };
}

/** A name no other test run uses, valid as a database, topic or Kubernetes name. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
