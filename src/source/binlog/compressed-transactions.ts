// Makes zongji read compressed transactions (MySQL binlog_transaction_compression=ON). zongji
// (0.9.0) skips a TRANSACTION_PAYLOAD event and reports it as undecodable; here each such event is
// opened before zongji sees it and its inner events are handed to zongji's binlog command one by
// one, as if the server had sent them uncompressed, so table maps, rows, GTIDs and positions take
// zongji's ordinary path. Relies on two internals, pinned by test/integration/source/mysql-flavors
// .test.ts: zongji builds its binlog command from `zongji.BinlogClass` right after 'ready', and
// mysql2 hands each packet to the command's `execute(packet, connection)`, queueing packets in
// `_paused_packets` while the connection is paused.
import type ZongJi from '@vlasky/zongji';
import {
  decodeTransactionPayload,
  splitPayloadEvents,
  TRANSACTION_PAYLOAD_EVENT,
} from './transaction-payload.ts';

interface Packet {
  sequenceId: number;
  numPackets: number;
  buffer: Buffer;
  offset: number;
  end: number;
  constructor: new (id: number, buffer: Buffer, start: number, end: number) => Packet;
}

interface Connection {
  _paused: boolean;
  _paused_packets: { unshift(packet: Packet): void };
}

type BinlogCommandClass = new (
  ...args: never[]
) => { execute(packet: Packet | undefined, connection: Connection): boolean };

// A binlog event packet: the OK marker, then the 19-byte event header.
const MARKER = 0;
const TYPE_OFFSET = 1 + 4;
const LOG_POS_OFFSET = 1 + 13;
const EVENT_LENGTH_OFFSET = 1 + 9;
const HEADER_END = 1 + 19;
const CHECKSUM_BYTES = 4;

/** The packets of a payload's inner events, or null when `packet` is not a payload event. */
function expand(packet: Packet, checksum: boolean): Packet[] | null {
  const { buffer, offset, end } = packet;
  if (end - offset < HEADER_END || buffer[offset] !== MARKER) return null;
  if (buffer[offset + TYPE_OFFSET] !== TRANSACTION_PAYLOAD_EVENT) return null;
  const endPosition = buffer.readUInt32LE(offset + LOG_POS_OFFSET);
  const body = buffer.subarray(offset + HEADER_END, end - (checksum ? CHECKSUM_BYTES : 0));
  const { events } = decodeTransactionPayload(body);
  // Inner events carry no checksum of their own (the payload event has one); zongji expects one
  // on every event when the stream has them, so each gets four bytes it skips unread.
  return splitPayloadEvents(events, endPosition).map((event) => {
    const extra = checksum ? CHECKSUM_BYTES : 0;
    const bytes = Buffer.alloc(4 + 1 + event.length + extra);
    bytes[4] = MARKER;
    event.copy(bytes, 5);
    bytes.writeUInt32LE(event.length + extra, 4 + EVENT_LENGTH_OFFSET);
    // An inner packet that waits in the paused queue passes mysql2's sequence check there: it
    // claims the number the next packet from the server will have, and counts as no packet.
    const inner = new packet.constructor((packet.sequenceId + 1) & 0xff, bytes, 0, bytes.length);
    inner.numPackets = 0;
    return inner;
  });
}

function withPayloads(Base: BinlogCommandClass, zongji: ZongJi): BinlogCommandClass {
  return class extends Base {
    override execute(packet: Packet | undefined, connection: Connection): boolean {
      const inner = packet
        ? expand(packet, Boolean((zongji as { useChecksum?: boolean }).useChecksum))
        : null;
      if (!inner) return super.execute(packet, connection);
      for (let i = 0; i < inner.length; i++) {
        // zongji pauses the connection to look up a new table's columns; the rest of the
        // transaction then waits, ahead of whatever else is queued, until it resumes.
        if (connection._paused) {
          for (let j = inner.length - 1; j >= i; j--) connection._paused_packets.unshift(inner[j]!);
          return false;
        }
        if (super.execute(inner[i], connection)) return true;
      }
      return false;
    }
  };
}

/** Call once, before `zongji.start()`. */
export function decodeCompressedTransactions(zongji: ZongJi): void {
  const z = zongji as unknown as { BinlogClass: BinlogCommandClass; on(e: 'ready', f: () => void): void };
  z.on('ready', () => {
    z.BinlogClass = withPayloads(z.BinlogClass, zongji);
  });
}
