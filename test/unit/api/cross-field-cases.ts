import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

// The cases on which each cross-field rule's CEL (run by the API server) and its TypeScript check
// (run by validateSyncJob) must agree. The unit test runs them through validateSyncJob; the
// integration test sends the same manifests to a real kube-apiserver.

export type Patch = { [key: string]: unknown };

export interface RuleCases {
  /** The rule's message, as the CRD and validateSyncJob report it. */
  message: string;
  /** The field the rejection names. */
  path: string;
  accepts: Patch[];
  rejects: Patch[];
}

const MYSQL_UUID = '3e11fa47-71ca-11e1-9e33-c80aa9429562';

export const ruleCases: RuleCases[] = [
  {
    message: 'delivery exactlyOnce needs Kafka 0.11 or later (version is not 0.10) and acks all',
    path: 'spec.target.delivery',
    accepts: [
      { target: { delivery: 'exactlyOnce' } },
      { target: { delivery: 'atLeastOnce' } },
      { target: { delivery: 'atLeastOnce', version: '0.10' } },
      { target: { delivery: 'atLeastOnce', acks: 'leader' } },
    ],
    rejects: [
      { target: { delivery: 'exactlyOnce', version: '0.10' } },
      { target: { delivery: 'exactlyOnce', acks: 'leader' } },
    ],
  },
  {
    message: "limits.memory must be at least 512Mi: below it the worker's heap runs out (raise it)",
    path: 'spec.worker.resources.limits',
    accepts: [
      { worker: { resources: { limits: { memory: '512Mi' } } } },
      { worker: { resources: { limits: { memory: '1Gi', cpu: '1' } } } },
      { worker: { resources: { limits: { memory: 536870912 } } } },
      { worker: { resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } } } },
    ],
    rejects: [
      { worker: { resources: { limits: { memory: '16Mi' } } } },
      { worker: { resources: { limits: { memory: '256Mi' } } } },
      { worker: { resources: { limits: { memory: '511Mi' } } } },
      { worker: { resources: { limits: { memory: 1000000 } } } },
    ],
  },
  {
    message: 'caSecretRef, clientCertSecretRef and insecureSkipVerify need enabled: true',
    path: 'spec.target.tls',
    accepts: [
      { target: { tls: { enabled: true, caSecretRef: { name: 'kafka-ca' } } } },
      { target: { tls: { enabled: true, clientCertSecretRef: { name: 'kafka-client' } } } },
      { target: { tls: { enabled: false } } },
    ],
    rejects: [
      { target: { tls: { caSecretRef: { name: 'kafka-ca' } } } },
      { target: { tls: { clientCertSecretRef: { name: 'kafka-client' } } } },
      { target: { tls: { enabled: false, insecureSkipVerify: true } } },
    ],
  },
  {
    message: 'caSecretRef, clientCertSecretRef and insecureSkipVerify need enabled: true',
    path: 'spec.source.tls',
    accepts: [{ source: { tls: { enabled: true, insecureSkipVerify: true } } }],
    rejects: [{ source: { tls: { insecureSkipVerify: true } } }],
  },
  {
    message: 'caSecretRef has no effect with insecureSkipVerify: true; set one of them',
    path: 'spec.source.tls',
    accepts: [{ source: { tls: { enabled: true, caSecretRef: { name: 'db-ca', key: 'ca.pem' } } } }],
    rejects: [
      { source: { tls: { enabled: true, insecureSkipVerify: true, caSecretRef: { name: 'db-ca' } } } },
    ],
  },
  {
    message: 'mode file needs file and position',
    path: 'spec.source.startPosition',
    accepts: [{ source: { startPosition: { mode: 'file', file: 'mysql-bin.000003', position: 4 } } }],
    rejects: [
      { source: { startPosition: { mode: 'file', file: 'mysql-bin.000003' } } },
      { source: { startPosition: { mode: 'file', position: 120 } } },
    ],
  },
  {
    message: 'file and position are only used with mode file',
    path: 'spec.source.startPosition',
    accepts: [{ source: { startPosition: { mode: 'end' } } }],
    rejects: [
      { source: { startPosition: { position: 4 } } },
      { source: { startPosition: { mode: 'gtid', gtidSet: '0-1-100', file: 'mysql-bin.000003' } } },
    ],
  },
  {
    message: 'mode gtid needs gtidSet',
    path: 'spec.source.startPosition.gtidSet',
    accepts: [{ source: { startPosition: { mode: 'gtid', gtidSet: '0-1-100' } } }],
    rejects: [{ source: { startPosition: { mode: 'gtid' } } }],
  },
  {
    message: 'gtidSet is only used with mode gtid',
    path: 'spec.source.startPosition.gtidSet',
    accepts: [{ source: { startPosition: { mode: 'gtid', gtidSet: '0-1-100,1-2-7' } } }],
    rejects: [
      { source: { startPosition: { gtidSet: '0-1-100' } } },
      {
        source: { startPosition: { mode: 'file', file: 'mysql-bin.000003', position: 4, gtidSet: '0-1-1' } },
      },
    ],
  },
  {
    message:
      'must be a MariaDB GTID list (domain-server-sequence,…) for type mariadb, a MySQL GTID set (uuid:interval,…) otherwise',
    path: 'spec.source.startPosition.gtidSet',
    accepts: [
      { source: { startPosition: { mode: 'gtid', gtidSet: '0-1-100, 1-2-3' } } },
      { source: { type: 'mysql', startPosition: { mode: 'gtid', gtidSet: `${MYSQL_UUID}:1-5:7` } } },
      {
        source: {
          type: 'polardb-mysql',
          startPosition: { mode: 'gtid', gtidSet: `${MYSQL_UUID}:1-5,${MYSQL_UUID.toUpperCase()}:etl:1-3` },
        },
      },
    ],
    rejects: [
      { source: { startPosition: { mode: 'gtid', gtidSet: `${MYSQL_UUID}:1-5` } } },
      { source: { type: 'mysql', startPosition: { mode: 'gtid', gtidSet: '0-1-100' } } },
      { source: { type: 'mysql', startPosition: { mode: 'gtid', gtidSet: MYSQL_UUID } } },
    ],
  },
  {
    message: 'canalJson applies only to format canal-json',
    path: 'spec.target.canalJson',
    accepts: [
      { target: { format: 'canal-json', canalJson: { types: 'canal' } } },
      { target: { format: 'canal-json' } },
    ],
    rejects: [{ target: { format: 'dts-avro', canalJson: { types: 'canal' } } }],
  },
  {
    message: 'zstd needs Kafka 2.1 or later',
    path: 'spec.target.compression',
    accepts: [
      { target: { version: '2.x', compression: 'zstd' } },
      { target: { version: '1.0', compression: 'lz4' } },
    ],
    rejects: [
      { target: { version: '1.0', compression: 'zstd' } },
      { target: { version: '0.10', compression: 'zstd' } },
    ],
  },
  {
    message: 'at least one of insert, update and delete must be true',
    path: 'spec.objects[0].tables[0].dml',
    accepts: [
      {
        objects: [{ database: 'shop', tables: [{ name: 'orders', dml: { insert: false, update: false } }] }],
      },
    ],
    rejects: [
      {
        objects: [
          {
            database: 'shop',
            tables: [{ name: 'orders', dml: { insert: false, update: false, delete: false } }],
          },
        ],
      },
    ],
  },
  {
    message: 'resnapshots copy rows: they need data: true',
    path: 'spec.initialization.resnapshots',
    accepts: [
      { initialization: { data: false } },
      {
        initialization: {
          data: true,
          resnapshots: [{ name: 'repair-1', tables: [{ database: 'shop', table: 'orders' }] }],
        },
      },
    ],
    rejects: [
      {
        initialization: {
          data: false,
          resnapshots: [{ name: 'repair-1', tables: [{ database: 'shop', table: 'orders' }] }],
        },
      },
    ],
  },
];

/** The example SyncJob, the base every case patches. */
export function exampleManifest(): Record<string, unknown> {
  return parse(readFileSync(new URL('../../../examples/syncjob.yaml', import.meta.url), 'utf8'));
}

/** The example with `patch` merged into its spec (RFC 7386: objects merge, the rest replaces). */
export function patchedExample(patch: Patch): Record<string, unknown> {
  const example = exampleManifest();
  return { ...example, spec: mergePatch(example.spec, patch) };
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Patch = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function isObject(value: unknown): value is Patch {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
