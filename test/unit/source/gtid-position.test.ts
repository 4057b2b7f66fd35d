import { describe, expect, it } from 'vitest';
import { advanceGtidPosition } from '../../../src/source/binlog/gtid-position.ts';

describe('advanceGtidPosition', () => {
  it('replaces the entry of the transaction’s domain and keeps the others', () => {
    expect(advanceGtidPosition('', '0-1-5')).toBe('0-1-5');
    expect(advanceGtidPosition('0-1-5', '0-1-6')).toBe('0-1-6');
    expect(advanceGtidPosition('0-1-5,1-3-9', '1-2-10')).toBe('0-1-5,1-2-10');
    expect(advanceGtidPosition('0-1-5', '10-1-1')).toBe('0-1-5,10-1-1');
    // After a failover the new primary's server id appears in the same domain.
    expect(advanceGtidPosition('0-1-41', '0-2-42')).toBe('0-2-42');
  });

  it('adds a MySQL GTID to the executed set', () => {
    const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    expect(advanceGtidPosition(`${uuid}:1-22`, `${uuid}:23`)).toBe(`${uuid}:1-23`);
    expect(advanceGtidPosition('', `${uuid}:5`)).toBe(`${uuid}:5`);
  });

  it('leaves the position as it is for a transaction without a GTID', () => {
    expect(advanceGtidPosition('0-1-5', '')).toBe('0-1-5');
  });
});
