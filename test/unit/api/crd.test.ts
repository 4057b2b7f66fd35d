import { readFileSync } from 'node:fs';
import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { syncJobCrd, syncJobCrdYaml } from '../../../src/api/v1alpha1/crd.ts';
import { IntOrString } from '../../../src/api/v1alpha1/kube-schema.ts';
import { type StructuralSchema, structuralSchema } from '../../../src/api/v1alpha1/structural-schema.ts';
import { Phase } from '../../../src/api/v1alpha1/syncjob-status.ts';

const committed = readFileSync(new URL('../../../crds/syncjob.yaml', import.meta.url), 'utf8');

/** Every schema node with its path. */
function nodes(node: StructuralSchema, path = ''): [string, StructuralSchema][] {
  const children = Object.entries((node.properties ?? {}) as Record<string, StructuralSchema>).flatMap(
    ([name, child]) => nodes(child, `${path}.${name}`),
  );
  const items = node.items ? nodes(node.items as StructuralSchema, `${path}[]`) : [];
  const values = node.additionalProperties
    ? nodes(node.additionalProperties as StructuralSchema, `${path}.*`)
    : [];
  return [[path, node], ...children, ...items, ...values];
}

describe('the SyncJob CRD', () => {
  const crd = syncJobCrd();
  const [version] = crd.spec.versions;
  const root = version!.schema.openAPIV3Schema;

  it('is what crds/syncjob.yaml holds (regenerate with `npx node scripts/gen-crd.ts`)', () => {
    expect(committed).toBe(syncJobCrdYaml());
    expect(parse(committed)).toEqual(crd);
  });

  it('names the kind and serves v1alpha1 with a status subresource and printer columns', () => {
    expect(crd.metadata.name).toBe('syncjobs.syncjob.io');
    expect(crd.spec).toMatchObject({
      group: 'syncjob.io',
      scope: 'Namespaced',
      names: { kind: 'SyncJob', plural: 'syncjobs', singular: 'syncjob', shortNames: ['sj'] },
    });
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({
      name: 'v1alpha1',
      served: true,
      storage: true,
      subresources: { status: {} },
    });
    expect(version!.additionalPrinterColumns.map((c) => [c.name, c.jsonPath])).toEqual([
      ['Phase', '.status.phase'],
      ['Ready', '.status.conditions[?(@.type=="Ready")].status'],
      ['Source', '.spec.source.host'],
      ['Topic', '.spec.target.topic'],
      ['Lag', '.status.lagSeconds'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
    // The status is structural too: documented by kubectl explain, checked by the API server.
    expect(root.properties).toMatchObject({
      status: { type: 'object', properties: { phase: { type: 'string', enum: Object.values(Phase) } } },
    });
  });

  it('has a structural schema: typed nodes, no additionalProperties beside properties, no JSON Schema ids', () => {
    for (const [path, node] of nodes(root)) {
      const typed = typeof node.type === 'string' || node['x-kubernetes-int-or-string'] === true;
      expect(typed, `${path} has a type`).toBe(true);
      expect(node.properties !== undefined && node.additionalProperties !== undefined, path).toBe(false);
      for (const key of Object.keys(node)) expect(key, path).not.toMatch(/^(\$|~)|^(const|oneOf|allOf|not)$/);
    }
  });

  it('describes every field', () => {
    for (const [path, node] of nodes(
      root.properties ? (root.properties as Record<string, StructuralSchema>).spec! : {},
    )) {
      // The values of a map are described by the map.
      if (!path.endsWith('.*')) expect(node.description, `spec${path}`).toBeTruthy();
    }
  });

  it('does not require a field that has a default', () => {
    for (const [path, node] of nodes(root)) {
      for (const name of (node.required ?? []) as string[]) {
        const child = (node.properties as Record<string, StructuralSchema>)[name];
        expect(child?.default, `${path}.${name}`).toBeUndefined();
      }
    }
  });
});

describe('structuralSchema', () => {
  it('refuses what a structural schema cannot say', () => {
    expect(() => structuralSchema(Type.Object({ a: Type.Literal('x') }), 'spec')).toThrow(
      /spec\.a: no structural form for const/,
    );
    expect(() =>
      structuralSchema(Type.Object({ a: Type.Union([Type.String(), Type.Boolean()]) }), 'spec'),
    ).toThrow(/spec\.a: anyOf is not structural/);
  });

  it('writes int-or-string in the form Kubernetes expects', () => {
    expect(structuralSchema(IntOrString({ description: 'q', pattern: '^[0-9]+$' }))).toEqual({
      description: 'q',
      pattern: '^[0-9]+$',
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
    });
  });
});
