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

  it('leaves the position as it is for anything but a MariaDB GTID', () => {
    expect(advanceGtidPosition('0-1-5', '')).toBe('0-1-5');
    expect(advanceGtidPosition('0-1-5', '3E11FA47-71CA-11E1-9E33-C80AA9429562:23')).toBe('0-1-5');
  });
});
