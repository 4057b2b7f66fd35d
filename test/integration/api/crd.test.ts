import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRD_NAME, PLURAL } from '../../../src/api/v1alpha1/crd.ts';
import { validateSyncJob } from '../../../src/api/v1alpha1/manifest.ts';
import { GROUP, VERSION } from '../../../src/api/v1alpha1/syncjob-spec.ts';
import { Phase } from '../../../src/api/v1alpha1/syncjob-status.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { exampleManifest, type Patch, patchedExample, ruleCases } from '../../unit/api/cross-field-cases.ts';

// The generated CRD on a real kube-apiserver: it installs, it defaults exactly as validateSyncJob
// does, and its CEL rules agree with the TypeScript checks on the cases of the unit test.
describe('SyncJob CRD on the API server', () => {
  const { kube } = testEnv();
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const objects = kc.makeApiClient(CustomObjectsApi);
  const namespace = uniqueName('sj-api');
  const kubectl = (...args: string[]) =>
    execFileSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args], { encoding: 'utf8' });
  const file = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

  /** Creates the object for real, or only checks it (dryRun) and returns what the server would store. */
  const create = async (body: Record<string, unknown>, dryRun = true) =>
    (await objects.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      body,
      fieldValidation: 'Strict',
      ...(dryRun ? { dryRun: 'All' } : {}),
    })) as { spec: unknown };

  /** The API server's reason for refusing `body`, or undefined when it accepts it. */
  const refusal = async (body: Record<string, unknown>): Promise<string | undefined> => {
    try {
      // Not the example's name: that one is created for real by the first test.
      await create({ ...body, metadata: { name: 'case' } });
      return undefined;
    } catch (e) {
      const body = (e as { body?: unknown }).body;
      return typeof body === 'string' ? (JSON.parse(body) as { message: string }).message : String(e);
    }
  };

  beforeAll(async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    // A fresh install: SyncJobs left by other runs (the demo's, say) would hold the deletion up with
    // the operator's finalizer, and no operator runs here to release it.
    const left = (await objects
      .listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
      .catch(() => ({ items: [] }))) as { items: { metadata: { name: string; namespace: string } }[] };
    for (const { metadata } of left.items)
      kubectl(
        '-n',
        metadata.namespace,
        'patch',
        'sj',
        metadata.name,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      );
    await ext.deleteCustomResourceDefinition({ name: CRD_NAME }).catch(() => undefined);
    await waitFor(
      async () => !(await ext.readCustomResourceDefinition({ name: CRD_NAME }).catch(() => null)),
      60_000,
    );
    kubectl('create', '-f', file('crds/syncjob.yaml'));
    kubectl('wait', '--for=condition=Established', '--timeout=30s', `crd/${CRD_NAME}`);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  });

  // The CRD stays installed, as in a cluster: other test files (and the demo) use it.
  afterAll(async () => {
    await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
  });

  it('accepts examples/syncjob.yaml with kubectl and defaults it as validateSyncJob does', async () => {
    kubectl('apply', '-n', namespace, '-f', file('examples/syncjob.yaml'));
    const stored = (await objects.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      name: 'orders-sync',
    })) as { spec: unknown };
    expect(stored.spec).toEqual(validateSyncJob(exampleManifest()).spec);
    const table = kubectl('get', 'sj', '-n', namespace);
    expect(table.split('\n')[0]?.split(/\s+/).filter(Boolean)).toEqual([
      'NAME',
      'PHASE',
      'READY',
      'SOURCE',
      'TOPIC',
      'LAG',
      'AGE',
    ]);
    expect(table).toMatch(/orders-sync\s+127\.0\.0\.1\s+orders-sync/);
  });

  it('fills in the same defaults as validateSyncJob for a minimal job', async () => {
    const minimal = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'SyncJob',
      metadata: { name: 'minimal' },
      spec: {
        source: { type: 'mysql', host: 'db', username: 'u', passwordSecretRef: { name: 's', key: 'k' } },
        target: { brokers: ['k:9092'], topic: 't', version: '3.x' },
        objects: [{ database: 'd', tables: [{ name: 't' }] }, { database: 'e' }],
        worker: null,
      },
    };
    expect((await create(minimal)).spec).toEqual(validateSyncJob(minimal).spec);
  });

  it('documents the status: kubectl explain lists the phases', () => {
    const explained = kubectl('explain', 'syncjob.status.phase');
    for (const phase of Object.values(Phase)) expect(explained).toContain(phase);
    expect(kubectl('explain', 'syncjob.status.conditions.reason')).toMatch(/CamelCase/);
  });

  it('keeps every field of a status the operator writes, and refuses a phase it does not know', async () => {
    const stored = (await objects.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      name: 'orders-sync',
    })) as Record<string, unknown>;
    const status = {
      phase: 'Syncing',
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Syncing',
          message: 'Streaming changes to Kafka',
          lastTransitionTime: '2026-12-02T10:00:00Z',
          observedGeneration: 1,
        },
      ],
      precheck: null,
      snapshot: {
        tablesTotal: 2,
        tablesDone: 1,
        rows: 10,
        done: false,
        tables: [{ table: 'shop.a', rows: 4 }],
      },
      position: { file: 'bin.000001', position: 400, gtid: '0-1-5' },
      lagSeconds: 3,
      worker: { pod: 'orders-sync-worker', attempts: 1 },
    };
    const written = (await objects.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      name: 'orders-sync',
      body: { ...stored, status },
    })) as Record<string, unknown>;
    // Nothing pruned, the null kept.
    expect(written.status).toEqual(status);
    const wrong = await objects
      .replaceNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name: 'orders-sync',
        body: { ...written, status: { ...status, phase: 'Dancing' } },
      })
      .then(
        () => 'accepted',
        (e: { body?: string }) => (e.body ? (JSON.parse(e.body) as { message: string }).message : String(e)),
      );
    expect(wrong).toMatch(/status\.phase.*Unsupported value: "Dancing"/);
  });

  describe('agrees with validateSyncJob on the cross-field rule cases', () => {
    for (const cases of ruleCases) {
      const named = (patches: Patch[]) => patches.map((p) => [JSON.stringify(p), p] as const);
      it.each(named(cases.accepts))(`${cases.path}: accepts %s`, async (_, patch) => {
        expect(await refusal(patchedExample(patch))).toBeUndefined();
      });
      it.each(named(cases.rejects))(`${cases.path}: rejects %s`, async (_, patch) => {
        const reason = await refusal(patchedExample(patch));
        expect(reason).toContain(`${cases.path}: Invalid value`);
        expect(reason).toContain(cases.message);
        for (const other of ruleCases.filter((c) => c.message !== cases.message)) {
          expect(reason).not.toContain(other.message);
        }
      });
    }
  });

  it.each<[string, Patch, string]>([
    ['no brokers', { target: { brokers: [] } }, 'spec.target.brokers'],
    ['an unknown source type', { source: { type: 'oracle' } }, 'spec.source.type: Unsupported value'],
    ['an unquoted version', { target: { version: 0.1 } }, 'spec.target.version'],
    ['a port out of range', { source: { port: 70000 } }, 'spec.source.port'],
    [
      'a table given as a string',
      { objects: [{ database: 'shop', tables: ['orders'] }] },
      'spec.objects[0].tables[0]',
    ],
    [
      'a broker listed twice',
      { target: { brokers: ['k:9092', 'k:9092'] } },
      'spec.target.brokers[1]: Duplicate value',
    ],
    ['an inline password', { source: { password: 'x' } }, 'unknown field "spec.source.password"'],
    [
      'no password reference',
      { source: { passwordSecretRef: null } },
      'spec.source.passwordSecretRef: Required value',
    ],
  ])('rejects %s, naming the field', async (_, patch, expected) => {
    expect(() => validateSyncJob(patchedExample(patch))).toThrow();
    expect(await refusal(patchedExample(patch))).toContain(expected);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
