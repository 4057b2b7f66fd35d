import { describe, expect, it } from 'vitest';
import { validateSyncJob } from '../../../src/api/v1alpha1/manifest.ts';
import type { SyncJobSpec } from '../../../src/api/v1alpha1/syncjob-spec.ts';
import {
  precheckDue,
  precheckFingerprint,
  type StoredPrecheck,
  storedPrecheck,
} from '../../../src/operator/precheck-gate.ts';

const spec = (extra: Record<string, unknown> = {}): SyncJobSpec =>
  validateSyncJob({
    apiVersion: 'syncjob.io/v1alpha1',
    kind: 'SyncJob',
    metadata: { name: 'orders', namespace: 'shop' },
    spec: {
      source: { type: 'mariadb', host: 'db', username: 'sync', passwordSecretRef: { name: 'db', key: 'pw' } },
      target: { brokers: ['kafka:9092'], topic: 'orders', version: '3.x' },
      objects: [{ database: 'shop' }],
      ...extra,
    },
  }).spec;

const secrets = { db: '41' };
const now = new Date('2026-01-01T00:10:00Z');
const stored = (result: 'Passed' | 'Failed', checkedAt: string, fingerprint: string): StoredPrecheck => ({
  items: [{ name: 'source.binlogFormat', result, message: 'binlog_format = ROW' }],
  forGeneration: 1,
  fingerprint,
  checkedAt,
});

describe('precheckFingerprint', () => {
  const base = precheckFingerprint(spec(), secrets, undefined);

  it('ignores spec.state: pausing and resuming do not re-run the precheck', () => {
    expect(precheckFingerprint(spec({ state: 'paused' }), secrets, undefined)).toBe(base);
  });

  it('changes with anything else the precheck reads', () => {
    expect(precheckFingerprint(spec({ conflictMode: 'ignore' }), secrets, undefined)).not.toBe(base);
    expect(precheckFingerprint(spec(), { db: '42' }, undefined)).not.toBe(base);
    expect(precheckFingerprint(spec(), { db: 'absent' }, undefined)).not.toBe(base);
    expect(precheckFingerprint(spec(), secrets, '1732400000')).not.toBe(base);
  });
});

describe('precheckDue', () => {
  const retry = 60_000;

  it('runs when there is no result or it was computed from something else', () => {
    expect(precheckDue(undefined, 'f1', now, retry)).toBe(true);
    expect(precheckDue(stored('Passed', '2026-01-01T00:09:59Z', 'f0'), 'f1', now, retry)).toBe(true);
  });

  it('keeps a passed result for as long as its inputs hold', () => {
    expect(precheckDue(stored('Passed', '2025-01-01T00:00:00Z', 'f1'), 'f1', now, retry)).toBe(false);
  });

  it('retries a failed result once the retry interval has passed, not before', () => {
    expect(precheckDue(stored('Failed', '2026-01-01T00:09:30Z', 'f1'), 'f1', now, retry)).toBe(false);
    expect(precheckDue(stored('Failed', '2026-01-01T00:09:00Z', 'f1'), 'f1', now, retry)).toBe(true);
  });
});

describe('storedPrecheck', () => {
  it('reads back what the operator wrote, and nothing of another shape', () => {
    const s = stored('Passed', '2026-01-01T00:00:00Z', 'f1');
    expect(storedPrecheck({ precheck: s })).toEqual(s);
    expect(storedPrecheck({ precheck: { items: [], forGeneration: 1 } })).toBeUndefined();
    expect(storedPrecheck({ precheck: null })).toBeUndefined();
    expect(storedPrecheck(undefined)).toBeUndefined();
  });
});
