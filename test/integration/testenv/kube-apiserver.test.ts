import { execFileSync } from 'node:child_process';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1CustomResourceDefinition,
  Watch,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv, uniqueName } from '../../support/testenv.ts';

// Proves the test control plane serves custom resources end to end: a CRD becomes Established,
// its objects can be created, listed and watched with @kubernetes/client-node, and kubectl reads them.
describe('test kube-apiserver', () => {
  const { kube } = testEnv();
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const group = 'smoke.testenv.syncjob.io';
  const plural = 'widgets';
  const crdName = `${plural}.${group}`;
  const namespace = uniqueName('smoke');

  const crd: V1CustomResourceDefinition = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: 'widget', kind: 'Widget', shortNames: ['wdg'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } } } },
            },
          },
        },
      ],
    },
  };

  beforeAll(async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await ext.deleteCustomResourceDefinition({ name: crdName }).catch(() => undefined);
    await waitFor(async () => !(await ext.readCustomResourceDefinition({ name: crdName }).catch(() => null)));
    await ext.createCustomResourceDefinition({ body: crd });
    await waitFor(async () => {
      const current = await ext.readCustomResourceDefinition({ name: crdName });
      return (
        current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false
      );
    });
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    // Established can come a moment before the new resource is served (429/404 meanwhile).
    const objects = kc.makeApiClient(CustomObjectsApi);
    await waitFor(() =>
      objects.listNamespacedCustomObject({ group, version: 'v1', namespace, plural }).then(
        () => true,
        () => false,
      ),
    );
  });

  afterAll(async () => {
    await kc.makeApiClient(ApiextensionsV1Api).deleteCustomResourceDefinition({ name: crdName });
  });

  it('creates, lists and watches custom objects, and rejects an invalid one', async () => {
    const objects = kc.makeApiClient(CustomObjectsApi);
    const seen: string[] = [];
    let resolveSeen: () => void = () => undefined;
    let rejectSeen: (err: unknown) => void = () => undefined;
    const bothAdded = new Promise<void>((resolve, reject) => {
      resolveSeen = resolve;
      rejectSeen = reject;
    });
    const controller = await new Watch(kc).watch(
      `/apis/${group}/v1/namespaces/${namespace}/${plural}`,
      {},
      (phase, obj: { metadata: { name: string } }) => {
        seen.push(`${phase} ${obj.metadata.name}`);
        if (seen.includes('ADDED w2')) resolveSeen();
      },
      (err) => err && rejectSeen(err),
    );
    const body = (name: string, size: number) => ({
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: { size },
    });
    await objects.createNamespacedCustomObject({
      group,
      version: 'v1',
      namespace,
      plural,
      body: body('w1', 1),
    });
    await objects.createNamespacedCustomObject({
      group,
      version: 'v1',
      namespace,
      plural,
      body: body('w2', 2),
    });
    await bothAdded.finally(() => controller.abort());
    expect(seen).toEqual(['ADDED w1', 'ADDED w2']);

    const list = (await objects.listNamespacedCustomObject({ group, version: 'v1', namespace, plural })) as {
      items: { metadata: { name: string } }[];
    };
    expect(list.items.map((i) => i.metadata.name).sort()).toEqual(['w1', 'w2']);

    await expect(
      objects.createNamespacedCustomObject({ group, version: 'v1', namespace, plural, body: body('w3', 0) }),
    ).rejects.toThrow(/spec\.size/);
  });

  it('is readable with kubectl 1.33 through the short name', () => {
    const out = execFileSync(
      kube.kubectl,
      ['--kubeconfig', kube.kubeconfig, 'get', 'wdg', '-n', namespace, '-o', 'name'],
      {
        encoding: 'utf8',
      },
    );
    expect(out.trim().split('\n').sort()).toEqual([`widget.${group}/w1`, `widget.${group}/w2`]);
    const version = execFileSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, 'version', '-o', 'json'], {
      encoding: 'utf8',
    });
    expect(JSON.parse(version).serverVersion.gitVersion).toMatch(/^v1\.33\./);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
