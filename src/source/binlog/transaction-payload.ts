// MySQL 8.0.20+ with binlog_transaction_compression=ON writes each transaction after its GTID event
// as one TRANSACTION_PAYLOAD event: a few header fields, then the transaction's own events (BEGIN,
// table maps, rows, XID), compressed with zstd. Pure: bytes in, the transaction's events out, each
// as the binlog stream would have carried it uncompressed.
import { zstdDecompressSync } from 'node:zlib';

export const TRANSACTION_PAYLOAD_EVENT = 40;
const EVENT_HEADER_BYTES = 19;
// Header fields: type and length as packed integers, then the value (itself a packed integer).
const FIELD_END = 0;
const FIELD_PAYLOAD_SIZE = 1;
const FIELD_COMPRESSION = 2;
const FIELD_UNCOMPRESSED_SIZE = 3;
const COMPRESSION_ZSTD = 0;
const COMPRESSION_NONE = 255;

/** A MySQL packed ("length-encoded") integer at `offset`: its value and the bytes it took. */
function packedInt(buf: Buffer, offset: number): [value: number, size: number] {
  const first = buf[offset];
  if (first === undefined) throw new Error('transaction payload: truncated header');
  if (first < 0xfb) return [first, 1];
  if (first === 0xfc) return [buf.readUInt16LE(offset + 1), 3];
  if (first === 0xfd) return [buf.readUIntLE(offset + 1, 3), 4];
  if (first === 0xfe) return [Number(buf.readBigUInt64LE(offset + 1)), 9];
  throw new Error(`transaction payload: invalid packed integer 0x${first.toString(16)}`);
}

export interface TransactionPayload {
  compression: 'zstd' | 'none';
  uncompressedSize: number;
  /** The transaction's events, concatenated (each with its 19-byte header). */
  events: Buffer;
}

/** Decodes an event body (after the common header, without the checksum). */
export function decodeTransactionPayload(body: Buffer): TransactionPayload {
  let offset = 0;
  let size = -1;
  let compression = -1;
  let uncompressedSize = -1;
  for (;;) {
    const [type, typeBytes] = packedInt(body, offset);
    offset += typeBytes;
    if (type === FIELD_END) break;
    const [length, lengthBytes] = packedInt(body, offset);
    offset += lengthBytes;
    const value = packedInt(body, offset)[0];
    offset += length;
    if (type === FIELD_PAYLOAD_SIZE) size = value;
    else if (type === FIELD_COMPRESSION) compression = value;
    else if (type === FIELD_UNCOMPRESSED_SIZE) uncompressedSize = value;
    // Fields a later server adds are skipped by their length.
  }
  const data = body.subarray(offset, size < 0 ? undefined : offset + size);
  if (compression === COMPRESSION_NONE)
    return { compression: 'none', uncompressedSize: data.length, events: data };
  if (compression !== COMPRESSION_ZSTD)
    throw new Error(`transaction payload: unknown compression type ${compression}`);
  const events = zstdDecompressSync(data);
  if (uncompressedSize >= 0 && events.length !== uncompressedSize)
    throw new Error(
      `transaction payload: ${events.length} bytes decompressed, the header says ${uncompressedSize}`,
    );
  return { compression: 'zstd', uncompressedSize: events.length, events };
}

/**
 * The transaction's events, split by their header's event_length, with `log_pos` (where the
 * event ends in the binlog file) set to `endPosition`, the end of the payload event: inside the
 * payload no event has a file position of its own, and a commit must resume after the whole
 * payload.
 */
export function splitPayloadEvents(events: Buffer, endPosition: number): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < events.length; ) {
    if (offset + EVENT_HEADER_BYTES > events.length) throw new Error('transaction payload: truncated event');
    const length = events.readUInt32LE(offset + 9);
    if (length < EVENT_HEADER_BYTES || offset + length > events.length)
      throw new Error(`transaction payload: event of ${length} bytes at ${offset} overruns the payload`);
    const event = Buffer.from(events.subarray(offset, offset + length));
    event.writeUInt32LE(endPosition >>> 0, 13);
    out.push(event);
    offset += length;
  }
  return out;
}
