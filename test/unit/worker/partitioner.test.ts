import { describe, expect, it } from 'vitest';
import { choosePartition, javaStringHashCode } from '../../../src/sink/partitioner.ts';

describe('partitioner', () => {
  it("matches Java's String.hashCode, including overflow and non-ASCII", () => {
    // Expected values printed by Java 17's String.hashCode.
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('shop.orders')).toBe(570428637);
    expect(javaStringHashCode('中文')).toBe(646394);
  });

  it('sends everything to partition 0 in partition0 mode and for key-less rows in key mode', () => {
    expect(choosePartition('partition0', 8, 'shop.orders', 'x')).toBe(0);
    expect(choosePartition('primaryKey', 8, 'shop.orders', null)).toBe(0);
  });

  it('hashes the table or the key to a stable partition in range', () => {
    const byTable = choosePartition('table', 8, 'shop.orders', 'a');
    expect(byTable).toBe(choosePartition('table', 8, 'shop.orders', 'b'));
    expect(byTable).toBe(570428637 % 8);
    const parts = new Set(
      Array.from({ length: 200 }, (_, i) => choosePartition('primaryKey', 8, 't', `k${i}`)),
    );
    expect([...parts].every((p) => p >= 0 && p < 8)).toBe(true);
    expect(parts.size).toBe(8);
  });
});
