import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateSyncJob } from '../../../src/api/v1alpha1/manifest.ts';
import {
  CONFIG_HASH_ANNOTATION,
  maxOldSpaceMiB,
  type WorkerJob,
  workerConfigMap,
  workerName,
  workerPod,
} from '../../../src/operator/worker-pod.ts';

function makeJob(spec: Record<string, unknown> = {}, name = 'orders'): WorkerJob {
  const job = validateSyncJob({
    apiVersion: 'syncjob.io/v1alpha1',
    kind: 'SyncJob',
    metadata: { name, namespace: 'shop', uid: 'uid-1', generation: 1 },
    spec: {
      source: {
        type: 'mariadb',
        host: 'db',
        username: 'sync',
        passwordSecretRef: { name: 'db-pass', key: 'password' },
      },
      target: { brokers: ['kafka:9092'], topic: 'orders', version: '3.x' },
      objects: [{ database: 'shop' }],
      ...spec,
    },
  });
  return { metadata: { name, namespace: 'shop', uid: 'uid-1' }, spec: job.spec };
}

const opts = { image: 'syncjob:1.0' };
const container = (job: WorkerJob) => workerPod(job, opts).spec?.containers[0];
const hash = (job: WorkerJob, image = opts.image) =>
  workerPod(job, { image }).metadata?.annotations?.[CONFIG_HASH_ANNOTATION];

describe('workerPod', () => {
  it('is deterministic: same input, deep-equal output', () => {
    expect(workerPod(makeJob(), opts)).toEqual(workerPod(makeJob(), opts));
    expect(workerConfigMap(makeJob())).toEqual(workerConfigMap(makeJob()));
  });

  it('names, labels and owns the pod', () => {
    const pod = workerPod(makeJob(), opts);
    expect(pod.metadata?.name).toBe('orders-worker');
    expect(pod.metadata?.namespace).toBe('shop');
    expect(pod.metadata?.labels?.['syncjob.io/job']).toBe('orders');
    expect(pod.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'syncjob.io/v1alpha1',
        kind: 'SyncJob',
        name: 'orders',
        uid: 'uid-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(pod.spec?.restartPolicy).toBe('Never');
  });

  it.each([
    { name: 'a', expected: 'a-worker' },
    { name: 'x'.repeat(56), expected: `${'x'.repeat(56)}-worker` },
  ])('keeps short names: $expected', ({ name, expected }) => {
    expect(workerName(name)).toBe(expected);
  });

  it('truncates long names to 63 characters with a hash that tells them apart', () => {
    const a = workerName(`${'x'.repeat(60)}-a`);
    const b = workerName(`${'x'.repeat(60)}-b`);
    expect(a).toHaveLength(63);
    expect(a).toMatch(/^x+-[0-9a-f]{8}-worker$/);
    expect(a).not.toBe(b);
    expect(workerName(`${'x'.repeat(60)}-a`)).toBe(a);
    const labels = workerPod(makeJob({}, `${'x'.repeat(100)}`), opts).metadata?.labels ?? {};
    for (const v of Object.values(labels)) expect(v.length).toBeLessThanOrEqual(63);
  });

  it('runs the worker on the mounted manifest with a hardened context and probes', () => {
    const c = container(makeJob());
    expect(c?.image).toBe('syncjob:1.0');
    expect(c?.command).toEqual([
      'node',
      '--max-semi-space-size=8',
      'dist/cli/main.js',
      'worker',
      '-f',
      '/etc/syncjob/job.yaml',
      '--secrets-dir',
      '/var/run/secrets/syncjob',
      '--termination-log',
      '/dev/termination-log',
    ]);
    expect(c?.securityContext).toEqual({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c?.ports).toEqual([{ name: 'metrics', containerPort: 9400, protocol: 'TCP' }]);
    expect(c?.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(c?.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c?.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/syncjob', readOnly: true });
    expect(c?.env).toBeUndefined();
    expect(c?.resources).toBeUndefined();
  });

  it.each([
    { limit: '1Gi', heap: 768 },
    { limit: '512Mi', heap: 384 },
    { limit: '1G', heap: 715 },
    { limit: 2147483648, heap: 1536 },
    { limit: '2e9', heap: 1430 },
  ])('sets --max-old-space-size to 75% of a $limit limit', ({ limit, heap }) => {
    expect(maxOldSpaceMiB(limit)).toBe(heap);
    const c = container(
      makeJob({ worker: { resources: { requests: { cpu: '500m' }, limits: { memory: limit } } } }),
    );
    expect(c?.env).toEqual([{ name: 'NODE_OPTIONS', value: `--max-old-space-size=${heap}` }]);
    expect(c?.resources).toEqual({ requests: { cpu: '500m' }, limits: { memory: String(limit) } });
  });

  it('mounts each referenced Secret, only its referenced keys, at <dir>/<name>', () => {
    const job = makeJob({
      source: {
        type: 'mysql',
        host: 'db',
        username: 'sync',
        passwordSecretRef: { name: 'db-pass', key: 'password' },
        tls: { enabled: true, caSecretRef: { name: 'db-ca' } },
      },
      target: {
        brokers: ['kafka:9092'],
        topic: 'orders',
        version: '3.x',
        sasl: { mechanism: 'plain', secretRef: { name: 'kafka-user' } },
        tls: { enabled: true, caSecretRef: { name: 'db-ca', key: 'kafka-ca.pem' } },
      },
    });
    const pod = workerPod(job, opts);
    const secretVolumes = (pod.spec?.volumes ?? []).filter((v) => v.secret);
    expect(secretVolumes.map((v) => [v.secret?.secretName, v.secret?.items?.map((i) => i.key)])).toEqual([
      ['db-ca', ['ca.crt', 'kafka-ca.pem']],
      ['db-pass', ['password']],
      ['kafka-user', ['password', 'username']],
    ]);
    const mounts = pod.spec?.containers[0]?.volumeMounts ?? [];
    for (const v of secretVolumes) {
      expect(mounts).toContainEqual({
        name: v.name,
        mountPath: `/var/run/secrets/syncjob/${v.secret?.secretName}`,
        readOnly: true,
      });
      for (const i of v.secret?.items ?? []) expect(i.path).toBe(i.key);
    }
  });

  it('changes the config hash with the spec and the image, not with metadata or status noise', () => {
    const base = hash(makeJob());
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(hash(makeJob({ conflictMode: 'ignore' }))).not.toBe(base);
    expect(hash(makeJob(), 'syncjob:1.1')).not.toBe(base);
    const noisy = {
      ...makeJob(),
      metadata: { ...makeJob().metadata, resourceVersion: '42', generation: 7, labels: { a: 'b' } },
      status: { phase: 'Syncing' },
    } as WorkerJob;
    expect(hash(noisy)).toBe(base);
    // Key order in the spec does not matter either.
    const spec = makeJob().spec;
    const reordered = { ...makeJob(), spec: Object.fromEntries(Object.entries(spec).reverse()) } as WorkerJob;
    expect(hash(reordered)).toBe(base);
  });

  it('never carries a secret value: only names and keys reach the pod and ConfigMap', () => {
    const job = makeJob();
    const text = JSON.stringify([workerPod(job, opts), workerConfigMap(job)]);
    // The builders only ever receive references; the reference is present, nothing else secret-like.
    expect(text).toContain('db-pass');
    expect(text).not.toMatch(/SYNCJOB_SECRET_|stringData|"valueFrom"/);
    const cm = workerConfigMap(job);
    expect(cm.metadata?.name).toBe('orders-worker');
    expect(cm.data?.['job.yaml']).toContain('passwordSecretRef');
    expect(validateSyncJob(parse(cm.data?.['job.yaml'] ?? '')).spec).toEqual(job.spec);
  });
});
