import { describe, expect, it } from 'vitest';
import { type Condition, phaseOf, setCondition } from '../../../src/operator/conditions.ts';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:05:00Z');
const c = (type: string, status: Condition['status'], reason = 'R'): Condition => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime: '2026-01-01T00:00:00Z',
  observedGeneration: 1,
});

describe('setCondition', () => {
  it.each([
    {
      name: 'adds a new condition at now',
      prev: [],
      status: 'True',
      reason: 'A',
      time: '2026-01-01T00:05:00Z',
    },
    {
      name: 'keeps the time when only the reason changes',
      prev: [c('Ready', 'True')],
      status: 'True',
      reason: 'B',
      time: '2026-01-01T00:00:00Z',
    },
    {
      name: 'moves the time when the status flips',
      prev: [c('Ready', 'True')],
      status: 'False',
      reason: 'R',
      time: '2026-01-01T00:05:00Z',
    },
  ] as const)('$name', ({ prev, status, reason, time }) => {
    const out = setCondition(prev, { type: 'Ready', status, reason, message: 'm' }, t1, 3);
    expect(out).toEqual([
      { type: 'Ready', status, reason, message: 'm', lastTransitionTime: time, observedGeneration: 3 },
    ]);
  });

  it('returns the full list in a stable order, seconds precision, input untouched', () => {
    const prev = [c('Stalled', 'False'), c('Custom', 'True'), c('Ready', 'True')];
    const out = setCondition(prev, { type: 'Initialized', status: 'True', reason: 'X', message: '' }, t0, 2);
    expect(out.map((x) => x.type)).toEqual(['Ready', 'Initialized', 'Stalled', 'Custom']);
    expect(out[1]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(prev.map((x) => x.type)).toEqual(['Stalled', 'Custom', 'Ready']);
  });
});

describe('phaseOf', () => {
  it.each([
    { phase: 'Pending', conds: [], state: 'running' },
    { phase: 'Prechecking', conds: [c('PrecheckSucceeded', 'Unknown')], state: 'running' },
    { phase: 'PrecheckFailed', conds: [c('PrecheckSucceeded', 'False')], state: 'running' },
    {
      phase: 'Initializing',
      conds: [c('PrecheckSucceeded', 'True'), c('Initialized', 'False')],
      state: 'running',
    },
    { phase: 'Syncing', conds: [c('PrecheckSucceeded', 'True'), c('Initialized', 'True')], state: 'running' },
    {
      phase: 'Syncing',
      conds: [c('PrecheckSucceeded', 'True'), c('Initialized', 'True'), c('Ready', 'False')],
      state: 'running',
    },
    { phase: 'Failed', conds: [c('PrecheckSucceeded', 'True'), c('Stalled', 'True')], state: 'running' },
    { phase: 'Paused', conds: [c('PrecheckSucceeded', 'True'), c('Stalled', 'True')], state: 'paused' },
  ] as const)('$phase from $conds.length conditions ($state)', ({ phase, conds, state }) => {
    expect(phaseOf(conds, { state })).toBe(phase);
  });
});
