import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TERMINAL_REASONS as OPERATOR_TERMINAL } from '../../src/operator/conditions.ts';
import { RETRIABLE_REASONS, TERMINAL_REASONS } from '../../src/reasons.ts';

describe('the terminal reasons', () => {
  it('are the ones the operator stops a job on', () => {
    expect([...OPERATOR_TERMINAL].sort()).toEqual(Object.keys(TERMINAL_REASONS).sort());
  });

  it('each have a row in docs/operator.md with their meaning and fix', () => {
    const doc = readFileSync(new URL('../../docs/operator.md', import.meta.url), 'utf8');
    for (const [reason, { meaning, fix }] of Object.entries(TERMINAL_REASONS))
      expect(doc, reason).toContain(`| \`${reason}\` | ${meaning} | ${fix} |`);
  });

  it('that a worker shows while it retries each have a row in docs/operator.md', () => {
    const doc = readFileSync(new URL('../../docs/operator.md', import.meta.url), 'utf8');
    for (const [reason, { meaning }] of Object.entries(RETRIABLE_REASONS))
      expect(doc, reason).toContain(`| \`${reason}\` | ${meaning} |`);
  });
});
