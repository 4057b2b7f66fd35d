import { describe, expect, it } from 'vitest';
import { sameStatus } from '../../../src/operator/status-equality.ts';

describe('sameStatus', () => {
  it('ignores key order at every level, and fields that are null on either side', () => {
    const desired = {
      phase: 'Syncing',
      precheck: null,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Streaming' }],
      worker: { pod: 'w', attempts: 0 },
    };
    const stored = {
      worker: { attempts: 0, pod: 'w' },
      conditions: [{ reason: 'Streaming', status: 'True', type: 'Ready' }],
      phase: 'Syncing',
    };
    expect(sameStatus(desired, stored)).toBe(true);
    expect(sameStatus({}, undefined)).toBe(true);
  });

  it('sees a changed value, a removed field and a changed order of list items', () => {
    const stored = { phase: 'Syncing', lagSeconds: 1, conditions: [{ type: 'A' }, { type: 'B' }] };
    expect(sameStatus({ ...stored, lagSeconds: 2 }, stored)).toBe(false);
    expect(sameStatus({ ...stored, lagSeconds: null }, stored)).toBe(false);
    expect(sameStatus({ ...stored, conditions: [{ type: 'B' }, { type: 'A' }] }, stored)).toBe(false);
  });
});
