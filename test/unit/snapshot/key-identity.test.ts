import { describe, expect, it } from 'vitest';
import { character, dateTime, decimal, integer } from '../../../src/format/dts-avro/values.ts';
import { keyIdentity } from '../../../src/source/snapshot/chunk-reader.ts';

describe('keyIdentity', () => {
  const parts = { year: 2024, month: 2, day: 29, hour: 1, minute: 2, second: 3, millis: null };

  it('is equal for equal key cells built separately, and ignores the other columns', () => {
    const snapshot = [
      integer(10, '7'),
      character('latin1', Buffer.from([0x81, 0x61])),
      dateTime({ ...parts }),
    ];
    const binlog = [
      integer(10, '7'),
      character('latin1', Buffer.from('gWE=', 'base64')),
      dateTime({ ...parts }),
    ];
    binlog.push(decimal('1.50', 5, 2));
    expect(keyIdentity(snapshot, [0, 1, 2])).toBe(keyIdentity(binlog, [0, 1, 2]));
    expect(keyIdentity(snapshot, [1])).toContain('8161');
  });

  it('differs when a key byte or the key order differs', () => {
    const a = [integer(10, '1'), character('binary', Buffer.from([0, 1]))];
    const b = [integer(10, '1'), character('binary', Buffer.from([0, 2]))];
    expect(keyIdentity(a, [0, 1])).not.toBe(keyIdentity(b, [0, 1]));
    expect(keyIdentity(a, [0, 1])).not.toBe(keyIdentity(a, [1, 0]));
  });

  it('differs between a value and NULL, and between union branches with the same text', () => {
    const parts0 = { year: 2024, month: 2, day: 29, hour: null, minute: null, second: null, millis: null };
    expect(keyIdentity([dateTime(parts0)], [0])).not.toBe(
      keyIdentity([dateTime({ ...parts0, hour: 0 })], [0]),
    );
    expect(keyIdentity([integer(10, '1')], [0])).not.toBe(keyIdentity([decimal('1', 10, 0)], [0]));
    expect(keyIdentity([null], [0])).not.toBe(keyIdentity([integer(10, 'null')], [0]));
  });

  it('refuses a key position the row does not have', () => {
    expect(() => keyIdentity([integer(10, '1')], [1])).toThrow(/no cell 1/);
  });
});
