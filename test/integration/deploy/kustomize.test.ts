// deploy/ as a kustomize base: it builds to exactly the chart's default render
// (deploy/syncjob-operator.yaml), and an overlay that moves it to another namespace is accepted by
// the real API server (server-side dry run, strict field validation), as the chart's output is.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { testEnv, uniqueName } from '../../support/testenv.ts';

const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url));

const objects = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } } | null)
    .filter((d) => d !== null);

describe('deploy/ as a kustomize base', () => {
  const { kube } = testEnv();
  const kubectl = (args: string[]) => {
    const r = spawnSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const overlay = mkdtempSync(path.join(tmpdir(), 'sj-kustomize-'));
  const namespace = uniqueName('sj-kust');

  afterAll(() => {
    rmSync(overlay, { recursive: true, force: true });
    spawnSync(kube.kubectl, [
      '--kubeconfig',
      kube.kubeconfig,
      'delete',
      'namespace',
      namespace,
      '--wait=false',
    ]);
  });

  it('builds to exactly the objects of deploy/syncjob-operator.yaml', () => {
    const built = objects(kubectl(['kustomize', DEPLOY]));
    const rendered = objects(readFileSync(path.join(DEPLOY, 'syncjob-operator.yaml'), 'utf8'));
    const key = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;
    expect(built.map(key).sort()).toEqual(rendered.map(key).sort());
    const byKey = new Map(rendered.map((o) => [key(o), o]));
    for (const o of built) expect(o, key(o)).toEqual(byKey.get(key(o)));
  });

  it('an overlay into another namespace is accepted by the API server (server dry run, strict)', () => {
    writeFileSync(
      path.join(overlay, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${namespace}\nresources:\n  - ${path.relative(overlay, DEPLOY)}\n`,
    );
    kubectl(['create', 'namespace', namespace]);
    const out = kubectl(['apply', '-k', overlay, '--dry-run=server', '--validate=strict']);
    for (const expected of [
      'serviceaccount/syncjob-operator',
      'deployment.apps/syncjob-operator',
      'role.rbac.authorization.k8s.io/syncjob-operator-leader-election',
    ]) {
      expect(out).toMatch(new RegExp(`${expected.replaceAll('.', '\\.')} \\w+ \\(server dry run\\)`));
    }
    const moved = objects(kubectl(['kustomize', overlay])).filter((o) => o.metadata.namespace !== undefined);
    expect(moved.every((o) => o.metadata.namespace === namespace)).toBe(true);
  });
});
