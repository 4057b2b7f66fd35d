import { describe, expect, it } from 'vitest';
import { shortestFloat32, unsignedBigEndianText } from '../../../../src/source/mysql/numeric-text.ts';

describe('shortestFloat32', () => {
  it('gives the shortest decimal that reads back as the same float32', () => {
    expect(shortestFloat32(3.140000104904175)).toBe(3.14);
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(3.4028234663852886e38)).toBe(3.4028235e38);
    expect(shortestFloat32(1.1754943508222875e-38)).toBe(1.1754944e-38);
    expect(shortestFloat32(16777216)).toBe(16777216);
    expect(shortestFloat32(-123456.703125)).toBe(-123456.7);
    expect(shortestFloat32(0)).toBe(0);
  });

  it('gives the same answer for the widened float32 and for any text of it', () => {
    for (const text of ['3.14', '123456.7', '1e-45', '-2.5', '0.3333333']) {
      const stored = Math.fround(Number(text));
      expect(shortestFloat32(stored)).toBe(shortestFloat32(Number(String(stored))));
      expect(Math.fround(shortestFloat32(stored))).toBe(stored);
    }
  });
});

describe('unsignedBigEndianText', () => {
  it('reads BIT values of every width as unsigned decimals', () => {
    expect(unsignedBigEndianText(Buffer.from([]))).toBe('0');
    expect(unsignedBigEndianText(Buffer.from([0x01]))).toBe('1');
    expect(unsignedBigEndianText(Buffer.from([0x01, 0x00]))).toBe('256');
    expect(unsignedBigEndianText(Buffer.from('ffffffffffff', 'hex'))).toBe('281474976710655');
    expect(unsignedBigEndianText(Buffer.from('00ffffffffffffff', 'hex'))).toBe('72057594037927935');
    expect(unsignedBigEndianText(Buffer.from('ffffffffffffffff', 'hex'))).toBe('18446744073709551615');
    expect(unsignedBigEndianText(Buffer.from('8000000000000000', 'hex'))).toBe('9223372036854775808');
  });
});
