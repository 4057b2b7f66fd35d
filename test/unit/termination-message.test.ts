import { describe, expect, it } from 'vitest';
import { encodeTerminationMessage, parseTerminationMessage } from '../../src/termination-message.ts';

describe('the termination message', () => {
  it('reads back what the worker wrote, as one line', () => {
    const text = encodeTerminationMessage({
      reason: 'RecordTooLarge',
      message: 'a record of 2000000 bytes\nis larger than topic t allows',
      fix: 'raise max.message.bytes',
    });
    expect(parseTerminationMessage(text)).toEqual({
      reason: 'RecordTooLarge',
      message: 'a record of 2000000 bytes is larger than topic t allows',
      fix: 'raise max.message.bytes',
    });
  });

  it("stays whole within kubelet's 4096 bytes", () => {
    const text = encodeTerminationMessage({ reason: 'TableDropped', message: 'x'.repeat(10_000), fix: 'f' });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(parseTerminationMessage(text)?.reason).toBe('TableDropped');
  });

  it('is not a log tail, a JSON log line or an unknown reason', () => {
    expect(parseTerminationMessage('Error: boom\n    at x (y.js:1:2)')).toBeNull();
    expect(
      parseTerminationMessage('{"level":50,"reason":"TableDropped","message":"m","fix":"f"}'),
    ).toBeNull();
    expect(parseTerminationMessage('{"reason":"Nope","message":"m","fix":"f"}')).toBeNull();
    expect(parseTerminationMessage(undefined)).toBeNull();
  });
});
