import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RECORD_TYPE_NAME, RecordType } from '../../../src/format/dts-avro/schema.ts';
import { integer } from '../../../src/format/dts-avro/values.ts';

// Both constants were checked once against the published schema DTS consumers compile. If one of
// these fails, the schema copy drifted: restore it rather than updating the constant.
const CANONICAL_SHA256 = 'd57f6ce464e631aa7f6438633ce499bac5c59a91bda494dceef980d25663060d';
// With defaults and docs too, so even a change that keeps the wire format is noticed.
const FULL_SHA256 = 'aa38f313fd75443c4c4ca504ab78397c9320ec7c893491fb193d1d976b5cdd5e';

describe('DTS record schema', () => {
  it('is the published Record type', () => {
    expect(RecordType.name).toBe(RECORD_TYPE_NAME);
    expect(RecordType.fingerprint('sha256').toString('hex')).toBe(CANONICAL_SHA256);
  });

  it('keeps the published defaults and docs', () => {
    const full = JSON.stringify(RecordType.schema({ exportAttrs: true }));
    expect(createHash('sha256').update(full).digest('hex')).toBe(FULL_SHA256);
  });

  it('takes image cells in wrapped form and the other unions plain', () => {
    const row = { ...minimal(), objectName: 'a.b', fields: [{ name: 'x', dataTypeNumber: 3 }] };
    expect(RecordType.isValid({ ...row, afterImages: [integer(11, '7'), null] })).toBe(true);
    expect(RecordType.isValid({ ...row, afterImages: [{ precision: 11, value: '7' }] })).toBe(false);
  });

  it('takes ids beyond 2^53 as bigints and rejects ids beyond 64 bits', () => {
    expect(RecordType.isValid({ ...minimal(), id: 2n ** 63n - 1n })).toBe(true);
    expect(RecordType.isValid({ ...minimal(), id: 2n ** 63n })).toBe(false);
    expect(RecordType.isValid({ ...minimal(), id: 2 ** 53 })).toBe(false);
  });
});

function minimal() {
  return {
    version: 1,
    id: 1,
    sourceTimestamp: 0,
    sourcePosition: '',
    safeSourcePosition: '',
    sourceTxid: '',
    source: { sourceType: 'MySQL', version: '' },
    operation: 'INSERT',
    objectName: null,
    processTimestamps: null,
    tags: {},
    fields: null,
    beforeImages: null,
    afterImages: null,
    bornTimestamp: 0,
  };
}
