import { zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeTransactionPayload,
  splitPayloadEvents,
} from '../../../../src/source/binlog/transaction-payload.ts';

// An event: 19-byte header (timestamp, type, server id, length, log_pos, flags), then its body.
function event(type: number, body: Buffer, logPos = 0): Buffer {
  const header = Buffer.alloc(19);
  header.writeUInt32LE(1_700_000_000, 0);
  header[4] = type;
  header.writeUInt32LE(1, 5);
  header.writeUInt32LE(19 + body.length, 9);
  header.writeUInt32LE(logPos, 13);
  return Buffer.concat([header, body]);
}

// The payload's header fields as MySQL writes them: type, length of the value, the value, each a
// packed integer; then the end mark and the data.
function payloadBody(data: Buffer, compression: number, uncompressedSize: number): Buffer {
  const field = (type: number, value: number) => {
    const v = value < 0xfb ? Buffer.from([value]) : Buffer.from([0xfc, value & 0xff, value >> 8]);
    return Buffer.concat([Buffer.from([type, v.length]), v]);
  };
  return Buffer.concat([
    field(1, data.length),
    field(2, compression),
    field(3, uncompressedSize),
    Buffer.from([0]),
    data,
  ]);
}

describe('transaction payloads', () => {
  const events = Buffer.concat([
    event(2, Buffer.from('BEGIN')),
    event(19, Buffer.alloc(40, 7)),
    event(16, Buffer.alloc(8, 1)),
  ]);

  it('decompresses zstd and splits the events, each ending where the payload ends', () => {
    const body = payloadBody(zstdCompressSync(events), 0, events.length);
    const payload = decodeTransactionPayload(body);
    expect(payload).toMatchObject({ compression: 'zstd', uncompressedSize: events.length });
    const split = splitPayloadEvents(payload.events, 123_456);
    expect(split.map((e) => e[4])).toEqual([2, 19, 16]);
    expect(split.map((e) => e.readUInt32LE(13))).toEqual([123_456, 123_456, 123_456]);
    expect(Buffer.concat(split.map((e) => e.subarray(19)))).toEqual(
      Buffer.concat([Buffer.from('BEGIN'), Buffer.alloc(40, 7), Buffer.alloc(8, 1)]),
    );
  });

  it('takes uncompressed payloads, and refuses sizes and codecs it does not know', () => {
    expect(decodeTransactionPayload(payloadBody(events, 255, events.length)).events).toEqual(events);
    expect(() =>
      decodeTransactionPayload(payloadBody(zstdCompressSync(events), 0, events.length + 1)),
    ).toThrow(/the header says/);
    expect(() => decodeTransactionPayload(payloadBody(events, 7, events.length))).toThrow(
      /compression type 7/,
    );
    expect(() => splitPayloadEvents(events.subarray(0, events.length - 3), 1)).toThrow(/overruns/);
  });
});
