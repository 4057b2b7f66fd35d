import { describe, expect, it } from 'vitest';
import { syncJobCrd } from '../../../src/api/v1alpha1/crd.ts';
import type { CelValidation } from '../../../src/api/v1alpha1/cross-field-rule.ts';
import { ManifestError, validateSyncJob } from '../../../src/api/v1alpha1/manifest.ts';
import type { StructuralSchema } from '../../../src/api/v1alpha1/structural-schema.ts';
import { patchedExample, ruleCases } from './cross-field-cases.ts';

/** Every x-kubernetes-validations entry of the CRD, with the schema node it is attached to. */
function celRules(): { path: string; node: StructuralSchema; rule: CelValidation }[] {
  const found: { path: string; node: StructuralSchema; rule: CelValidation }[] = [];
  const walk = (node: StructuralSchema, path: string) => {
    for (const rule of (node['x-kubernetes-validations'] ?? []) as CelValidation[])
      found.push({ path, node, rule });
    for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, StructuralSchema>)) {
      walk(child, path ? `${path}.${name}` : name);
    }
    if (node.items) walk(node.items as StructuralSchema, `${path}[]`);
  };
  const [version] = syncJobCrd().spec.versions;
  walk(version!.schema.openAPIV3Schema, '');
  return found;
}

function issuesOf(manifest: unknown) {
  try {
    validateSyncJob(manifest);
    return [];
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    return e.issues;
  }
}

describe('cross-field rules', () => {
  for (const cases of ruleCases) {
    describe(`${cases.path}: ${cases.message}`, () => {
      it.each(cases.accepts.map((p) => [JSON.stringify(p), p]))('accepts %s', (_, patch) => {
        expect(issuesOf(patchedExample(patch))).toEqual([]);
      });
      it.each(cases.rejects.map((p) => [JSON.stringify(p), p]))('rejects %s', (_, patch) => {
        expect(issuesOf(patchedExample(patch))).toEqual([{ path: cases.path, message: cases.message }]);
      });
    });
  }

  it('has accepting and rejecting cases for every CEL rule of the CRD', () => {
    const rules = celRules();
    expect(rules.length).toBeGreaterThan(0);
    for (const { rule } of rules) {
      const cases = ruleCases.filter((c) => c.message === rule.message);
      expect(
        cases.flatMap((c) => c.accepts),
        rule.message,
      ).not.toHaveLength(0);
      expect(
        cases.flatMap((c) => c.rejects),
        rule.message,
      ).not.toHaveLength(0);
    }
  });

  it('writes CEL that reads only fields its schema node declares', () => {
    for (const { path, node, rule } of celRules()) {
      for (const [, chain, call] of rule.rule.matchAll(/self((?:\.[A-Za-z_]+)+)(\()?/g)) {
        const fields = chain!.slice(1).split('.');
        // self.x.matches(…): the last segment is a method.
        if (call) fields.pop();
        let at: StructuralSchema | undefined = node;
        for (const field of fields) {
          at = (at?.properties as Record<string, StructuralSchema> | undefined)?.[field];
          expect(at, `${path}: ${rule.rule} reads self${chain}`).toBeDefined();
        }
      }
      if (rule.fieldPath) {
        let at: StructuralSchema | undefined = node;
        for (const field of rule.fieldPath.slice(1).split('.')) {
          at = (at?.properties as Record<string, StructuralSchema> | undefined)?.[field];
        }
        expect(at, `${path}: fieldPath ${rule.fieldPath}`).toBeDefined();
      }
    }
  });
});
