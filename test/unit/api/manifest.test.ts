import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { stringify } from 'yaml';
import { ManifestError, parseSyncJobManifest, validateSyncJob } from '../../../src/api/v1alpha1/manifest.ts';
import type { SyncJob, SyncJobSpec } from '../../../src/api/v1alpha1/syncjob-spec.ts';
import { exampleManifest, type Patch, patchedExample } from './cross-field-cases.ts';

const minimal = {
  apiVersion: 'syncjob.io/v1alpha1',
  kind: 'SyncJob',
  metadata: { name: 'orders', namespace: 'shop' },
  spec: {
    source: {
      type: 'mysql',
      host: 'db.internal',
      username: 'sync',
      passwordSecretRef: { name: 'db', key: 'password' },
    },
    target: { brokers: ['kafka-0:9092'], topic: 'orders', version: '3.x' },
    objects: [{ database: 'shop', tables: [{ name: 'orders' }] }],
  },
};

function issuesOf(manifest: unknown) {
  try {
    validateSyncJob(manifest);
  } catch (e) {
    if (e instanceof ManifestError) return e.issues;
    throw e;
  }
  throw new Error('expected a ManifestError');
}

describe('validateSyncJob', () => {
  it('fills in every default', () => {
    expect(validateSyncJob(minimal)).toEqual({
      apiVersion: 'syncjob.io/v1alpha1',
      kind: 'SyncJob',
      metadata: { name: 'orders', namespace: 'shop' },
      spec: {
        source: {
          type: 'mysql',
          host: 'db.internal',
          port: 3306,
          username: 'sync',
          passwordSecretRef: { name: 'db', key: 'password' },
          tls: { enabled: false, insecureSkipVerify: false },
          timezone: '+00:00',
          startPosition: { mode: 'end' },
        },
        target: {
          brokers: ['kafka-0:9092'],
          topic: 'orders',
          version: '3.x',
          tls: { enabled: false, insecureSkipVerify: false },
          partitioning: 'partition0',
          acks: 'all',
          compression: 'none',
          format: 'dts-avro',
        },
        objects: [
          {
            database: 'shop',
            tables: [{ name: 'orders', dml: { insert: true, update: true, delete: true } }],
          },
        ],
        conflictMode: 'precheckError',
        initialization: { schema: false, data: true, chunkSize: 10000, parallelism: 2, resnapshots: [] },
        ddl: { emit: false },
        state: 'running',
        offsets: { topic: 'syncjob-offsets', onDelete: 'keep' },
        worker: { metricsPort: 9400 },
      },
    });
  });

  it('fills in nested defaults of optional objects and keeps what is given', () => {
    const job = validateSyncJob(
      patchedExample({
        target: { sasl: { mechanism: 'scram-sha-512', secretRef: { name: 'kafka-user' } } },
        source: { tls: { enabled: true, caSecretRef: { name: 'db-ca' } } },
      }),
    );
    expect(job.spec.target.sasl).toEqual({
      mechanism: 'scram-sha-512',
      secretRef: { name: 'kafka-user', usernameKey: 'username', passwordKey: 'password' },
    });
    expect(job.spec.source.tls).toEqual({
      enabled: true,
      insecureSkipVerify: false,
      caSecretRef: { name: 'db-ca', key: 'ca.crt' },
    });
  });

  it('drops null fields before defaulting, as the API server does', () => {
    const job = validateSyncJob(patchedExample({ source: { tls: null, port: null }, worker: null }));
    expect(job.spec.source.tls).toEqual({ enabled: false, insecureSkipVerify: false });
    expect(job.spec.source.port).toBe(3306);
    const withNullTables = structuredClone(minimal) as { spec: { objects: unknown[] } };
    withNullTables.spec.objects = [{ database: 'shop', tables: null }];
    expect(validateSyncJob(withNullTables).spec.objects).toEqual([{ database: 'shop' }]);
  });

  it('keeps only the metadata the job uses and ignores status', () => {
    const job = validateSyncJob({
      ...minimal,
      metadata: {
        name: 'orders',
        namespace: 'shop',
        uid: '0b6c-…',
        generation: 3,
        resourceVersion: '42',
        labels: { team: 'data' },
        managedFields: [{ manager: 'kubectl' }],
      },
      status: { phase: 'Syncing' },
    });
    expect(job.metadata).toEqual({ name: 'orders', namespace: 'shop', uid: '0b6c-…', generation: 3 });
    expect(job).not.toHaveProperty('status');
  });

  it('does not modify its input', () => {
    const input = structuredClone(minimal);
    validateSyncJob(input);
    expect(input).toEqual(minimal);
  });

  it('types the defaulted spec', () => {
    expectTypeOf(validateSyncJob).returns.toEqualTypeOf<SyncJob>();
    expectTypeOf<SyncJobSpec['target']['acks']>().toEqualTypeOf<'all' | 'leader' | 'none'>();
    expectTypeOf<SyncJobSpec['source']['port']>().toEqualTypeOf<number>();
    expectTypeOf<SyncJobSpec['source']['serverId']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<NonNullable<SyncJobSpec['objects'][number]['tables']>[number]['dml']>().toEqualTypeOf<{
      insert: boolean;
      update: boolean;
      delete: boolean;
    }>();
  });

  const invalid: [string, Patch, string, string][] = [
    ['no brokers', { target: { brokers: [] } }, 'spec.target.brokers', 'must have at least 1 item'],
    [
      'an unknown source type',
      { source: { type: 'oracle' } },
      'spec.source.type',
      'must be one of mysql, polardb-mysql, mariadb',
    ],
    [
      'an unquoted version',
      { target: { version: 0.1 } },
      'spec.target.version',
      'must be one of 0.10, 1.0, 2.x, 3.x, 4.x (a string: quote it in YAML)',
    ],
    ['a port out of range', { source: { port: 70000 } }, 'spec.source.port', 'must be at most 65535'],
    ['a port as a string', { source: { port: '3306' } }, 'spec.source.port', 'must be an integer'],
    ['an empty host', { source: { host: '' } }, 'spec.source.host', 'must not be empty'],
    ['no objects', { objects: [] }, 'spec.objects', 'must have at least 1 item'],
    [
      'no password reference',
      { source: { passwordSecretRef: null } },
      'spec.source.passwordSecretRef',
      'is required',
    ],
    [
      'a SASL block without credentials',
      { target: { sasl: { mechanism: 'plain' } } },
      'spec.target.sasl.secretRef',
      'is required',
    ],
    [
      'an unknown SASL mechanism',
      { target: { sasl: { mechanism: 'gssapi', secretRef: { name: 'k' } } } },
      'spec.target.sasl.mechanism',
      'must be one of plain, scram-sha-256, scram-sha-512',
    ],
    [
      'a table given as a string',
      { objects: [{ database: 'shop', tables: ['orders'] }] },
      'spec.objects[0].tables[0]',
      'must be an object',
    ],
    [
      'a table without a name',
      { objects: [{ database: 'shop', tables: [{ topic: 'orders' }] }] },
      'spec.objects[0].tables[0].name',
      'is required',
    ],
    [
      'a table name longer than MySQL allows',
      { objects: [{ database: 'shop', tables: [{ name: 'x'.repeat(65) }] }] },
      'spec.objects[0].tables[0].name',
      'must be at most 64 characters',
    ],
    [
      'a broker listed twice',
      { target: { brokers: ['k:9092', 'k:9092'] } },
      'spec.target.brokers',
      'must not contain duplicates',
    ],
    [
      'a broker without a port',
      { target: { brokers: ['kafka-0'] } },
      'spec.target.brokers[0]',
      'must match ^([A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}$',
    ],
    [
      'a database listed twice',
      { objects: [{ database: 'shop' }, { database: 'shop', tables: [{ name: 'x' }] }] },
      'spec.objects',
      'must not contain two items with the same database',
    ],
    [
      'a table listed twice',
      { objects: [{ database: 'shop', tables: [{ name: 'orders' }, { name: 'orders', topic: 'o2' }] }] },
      'spec.objects[0].tables',
      'must not contain two items with the same name',
    ],
    [
      'a topic with a space',
      { target: { topic: 'orders sync' } },
      'spec.target.topic',
      'must match ^[a-zA-Z0-9._-]+$',
    ],
    [
      'a tiny chunk size',
      { initialization: { chunkSize: 50 } },
      'spec.initialization.chunkSize',
      'must be at least 100',
    ],
    [
      'too much parallelism',
      { initialization: { parallelism: 17 } },
      'spec.initialization.parallelism',
      'must be at most 16',
    ],
    [
      'a named time zone',
      { source: { timezone: 'Asia/Shanghai' } },
      'spec.source.timezone',
      'must match ^[+-](0[0-9]|1[0-4]):[0-5][0-9]$',
    ],
    ['server id 0', { source: { serverId: 0 } }, 'spec.source.serverId', 'must be at least 1'],
    ['state stopped', { state: 'stopped' }, 'spec.state', 'must be one of running, paused'],
    [
      'a quantity that is not one',
      { worker: { resources: { requests: { cpu: 'lots' } } } },
      'spec.worker.resources.requests.cpu',
      'must match ^[0-9]+([.][0-9]+)?([eE][0-9]+|[KMGTPE]i|[mkMGTPE])?$',
    ],
    [
      'a quantity of the wrong type',
      { worker: { resources: { limits: { memory: true } } } },
      'spec.worker.resources.limits.memory',
      'must be an integer or a string',
    ],
    [
      'an inline password',
      { source: { password: 'hunter2' } },
      'spec.source.password',
      'is not a known field',
    ],
  ];

  it.each(invalid)('rejects %s, naming the field', (_, patch, path, message) => {
    expect(issuesOf(patchedExample(patch))).toEqual([{ path, message }]);
  });

  it('reports every issue at once, in a message that names the fields and no values', () => {
    let error: unknown;
    try {
      validateSyncJob(
        patchedExample({
          target: { brokers: [] },
          source: { type: 'oracle', password: { value: 'hunter2' } },
        }),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ManifestError);
    const { message } = error as ManifestError;
    expect(message).toContain('spec.target.brokers: must have at least 1 item');
    expect(message).toContain('spec.source.type: must be one of mysql, polardb-mysql, mariadb');
    expect(message).toContain('spec.source.password: is not a known field');
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('oracle');
  });

  it('requires a name and a spec', () => {
    const issues = issuesOf({ apiVersion: 'syncjob.io/v1alpha1', kind: 'SyncJob', metadata: {} });
    expect(issues.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'metadata.name', message: 'is required' },
      { path: 'spec', message: 'is required' },
    ]);
  });

  it('names a wrong apiVersion or kind before looking at the spec', () => {
    expect(issuesOf({ ...minimal, apiVersion: 'syncjob.io/v1' })).toEqual([
      { path: 'apiVersion', message: 'must be syncjob.io/v1alpha1' },
    ]);
    expect(issuesOf({ apiVersion: 'apps/v1', kind: 'Deployment', spec: {} })).toEqual([
      { path: 'apiVersion', message: 'must be syncjob.io/v1alpha1' },
      { path: 'kind', message: 'must be SyncJob' },
    ]);
    expect(issuesOf('orders')).toEqual([{ path: '', message: 'must be a SyncJob object' }]);
  });
});

describe('parseSyncJobManifest', () => {
  const secret = stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db' },
    stringData: { password: 'hunter2' },
  });

  it('accepts examples/syncjob.yaml', () => {
    const job = parseSyncJobManifest(
      readFileSync(new URL('../../../examples/syncjob.yaml', import.meta.url), 'utf8'),
    );
    expect(job.metadata.name).toBe('orders-sync');
    expect(job.spec.source).toMatchObject({
      type: 'mariadb',
      host: '127.0.0.1',
      port: 13306,
      username: 'syncjob',
    });
    expect(job.spec.source.passwordSecretRef).toEqual({ name: 'mariadb-sync', key: 'password' });
    expect(job.spec.target).toMatchObject({
      brokers: ['127.0.0.1:19092'],
      topic: 'orders-sync',
      format: 'dts-avro',
    });
    expect(job.spec.objects).toEqual([
      {
        database: 'shop',
        tables: [
          { name: 'orders', dml: { insert: true, update: true, delete: true } },
          { name: 'customers', dml: { insert: true, update: true, delete: false } },
        ],
      },
    ]);
  });

  it('picks the one SyncJob out of several documents', () => {
    const job = parseSyncJobManifest(`${secret}---\n${stringify(minimal)}---\n`);
    expect(job.metadata.name).toBe('orders');
  });

  it('rejects a file with two SyncJobs or none', () => {
    expect(() => parseSyncJobManifest(`${stringify(minimal)}---\n${stringify(minimal)}`)).toThrow(
      /holds 2 SyncJobs; give exactly one/,
    );
    expect(() => parseSyncJobManifest(`${secret}---\n${secret}`)).toThrow(/holds no SyncJob/);
    expect(() => parseSyncJobManifest('')).toThrow(/holds no SyncJob/);
  });

  it('says what a lone document of another kind is missing, without its values', () => {
    let error: unknown;
    try {
      parseSyncJobManifest(secret);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).issues).toEqual([
      { path: 'apiVersion', message: 'must be syncjob.io/v1alpha1' },
      { path: 'kind', message: 'must be SyncJob' },
    ]);
    expect((error as ManifestError).message).not.toContain('hunter2');
  });

  it('reports where YAML is broken without quoting the source', () => {
    const broken = `${secret}---\n${stringify(minimal)}  bad: [1\n`;
    expect(() => parseSyncJobManifest(broken)).toThrow(ManifestError);
    expect(() => parseSyncJobManifest(broken)).toThrow(/document 2: .* at line \d+, column \d+/);
    expect(() => parseSyncJobManifest('password: hunter2\n  x: 1\n')).not.toThrow(/hunter2/);
  });

  it('validates what it parses', () => {
    const text = stringify(patchedExample({ target: { brokers: [] } }));
    expect(() => parseSyncJobManifest(text)).toThrow('spec.target.brokers: must have at least 1 item');
    expect(exampleManifest().kind).toBe('SyncJob');
  });
});
