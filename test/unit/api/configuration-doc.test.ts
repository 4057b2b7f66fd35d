import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationReference } from '../../../src/api/v1alpha1/configuration-doc.ts';

describe('docs/configuration.md', () => {
  const doc = configurationReference();

  it('is generated from the schema (regenerate with `npx node scripts/gen-docs.ts`)', () => {
    expect(readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8')).toBe(doc);
  });

  it('documents every field of the contract, with defaults and rules', () => {
    for (const section of [
      'spec',
      'spec.source',
      'spec.target',
      'spec.objects[]',
      'spec.objects[].tables[]',
    ]) {
      expect(doc).toContain(`## \`${section}\``);
    }
    expect(doc).toContain('| `port` | integer (1–65535) | `3306` |');
    expect(doc).toContain('| `version` | `0.10` \\| `1.0` \\| `2.x` \\| `3.x` \\| `4.x`, **required** |');
    expect(doc).toContain('- `compression`: zstd needs Kafka 2.1 or later');
  });
});
