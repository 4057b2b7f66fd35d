import { describe, expect, it } from 'vitest';
import { mysqlDoubleText, mysqlJsonText } from '../../../../src/source/mysql/json-text.ts';

// The server's own text for these values, read with CAST(... AS JSON) on MySQL 9.7.
describe('mysqlDoubleText', () => {
  it('prints doubles as MySQL does', () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [1e14, '100000000000000.0'],
      [1e15, '1e15'],
      [1.5e15, '1.5e15'],
      [1234567890123456, '1.234567890123456e15'],
      [1234567890123456.8, '1234567890123456.8'],
      [1e20, '1e20'],
      [0.1, '0.1'],
      [1.25e-7, '0.000000125'],
      [1e-15, '0.000000000000001'],
      [1e-16, '1e-16'],
      [1.2345678901234568e-16, '1.2345678901234568e-16'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e308'],
      [-2.5, '-2.5'],
      [-0, '-0.0'],
    ];
    for (const [d, text] of cases) expect(mysqlDoubleText(d), String(d)).toBe(text);
  });
});

describe('mysqlJsonText', () => {
  it('renders containers, literals, strings and numbers of the binary form', () => {
    // [1, true]: a small array (count 2, 10 bytes) whose two entries hold their values inline.
    const array = Buffer.from([0x02, 0x02, 0x00, 0x0a, 0x00, 0x05, 0x01, 0x00, 0x04, 0x01, 0x00]);
    // {"ab": [1, true]}: count 1, size; key entry (offset 11, length 2); value entry (array at 13).
    const object = Buffer.concat([
      Buffer.from([0x00, 0x01, 0x00, 13 + array.length - 1, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x02, 0x0d, 0x00]),
      Buffer.from('ab'),
      array.subarray(1),
    ]);
    expect(mysqlJsonText(object)).toBe('{"ab": [1, true]}');
    expect(mysqlJsonText(Buffer.from([0x04, 0x00]))).toBe('null');
    expect(mysqlJsonText(Buffer.alloc(0))).toBe('null');
    expect(mysqlJsonText(Buffer.from([0x0c, 0x03, 0x61, 0x22, 0x0a]))).toBe('"a\\"\\n"');
    expect(mysqlJsonText(Buffer.from('0affffffffffffffff', 'hex'))).toBe('18446744073709551615');
    expect(mysqlJsonText(array)).toBe('[1, true]');
  });

  it('renders opaque dates, times and decimals as MySQL does', () => {
    // DECIMAL(4,2) 1.50: precision, scale, then the binary decimal (sign bit set for positive).
    expect(mysqlJsonText(Buffer.from([0x0f, 246, 0x04, 0x04, 0x02, 0x81, 0x32]))).toBe('1.50');
    const dt = Buffer.alloc(8);
    // 2020-01-02 03:04:05.000123 packed: ((2020*13+1) << 5 | 2) << 17 | 3 << 12 | 4 << 6 | 5, << 24 | 123
    const ymdhms = BigInt(((2020 * 13 + 1) * 32 + 2) * 2 ** 17 + 3 * 4096 + 4 * 64 + 5);
    dt.writeBigInt64LE((ymdhms << 24n) | 123n);
    expect(mysqlJsonText(Buffer.concat([Buffer.from([0x0f, 12, 8]), dt]))).toBe(
      '"2020-01-02 03:04:05.000123"',
    );
    expect(mysqlJsonText(Buffer.concat([Buffer.from([0x0f, 10, 8]), dt]))).toBe('"2020-01-02"');
    expect(mysqlJsonText(Buffer.from([0x0f, 15, 2, 0x00, 0xff]))).toBe('"base64:type15:AP8="');
  });
});
