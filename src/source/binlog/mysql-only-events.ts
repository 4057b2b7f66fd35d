// Two MySQL events that zongji (0.9.0) skips and reports as undecodable, handled before zongji sees
// them. A compressed transaction (binlog_transaction_compression=ON) is opened and its inner events
// are handed to zongji's binlog command one by one, as if the server had sent them uncompressed,
// so table maps, rows, GTIDs and positions take zongji's ordinary path. A partial JSON update
// (binlog_row_value_options=PARTIAL_JSON) is named with its table, so the reader stops on one of a
// synced table and passes over the others. Relies on two internals, pinned by the tests of
// test/integration/mysql/: zongji builds its binlog command from `zongji.BinlogClass` right after
// 'ready', and mysql2 hands each packet to the command's `execute(packet, connection)`, queueing
// packets in `_paused_packets` while the connection is paused.
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
const TABLE_MAP_EVENT = 19;
const PARTIAL_UPDATE_ROWS_EVENT = 39;
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

export interface TableName {
  database: string;
  table: string;
}

/** A table map's table id (6 bytes) and names (length-prefixed, NUL-terminated). */
function tableMapOf(buffer: Buffer, body: number): { id: number; name: TableName } {
  const id = buffer.readUIntLE(body, 6);
  const dbLength = buffer[body + 8]!;
  const database = buffer.toString('utf8', body + 9, body + 9 + dbLength);
  const tableAt = body + 9 + dbLength + 1;
  const table = buffer.toString('utf8', tableAt + 1, tableAt + 1 + buffer[tableAt]!);
  return { id, name: { database, table } };
}

function withMysqlEvents(
  Base: BinlogCommandClass,
  zongji: ZongJi,
  onPartialUpdate: (table: TableName) => void,
): BinlogCommandClass {
  // Table ids of this stream's table maps, to name the table of a partial update.
  const tables = new Map<number, TableName>();
  return class extends Base {
    override execute(packet: Packet | undefined, connection: Connection): boolean {
      const inner = packet
        ? expand(packet, Boolean((zongji as { useChecksum?: boolean }).useChecksum))
        : null;
      if (!inner) return this.one(packet, connection);
      for (let i = 0; i < inner.length; i++) {
        // zongji pauses the connection to look up a new table's columns; the rest of the
        // transaction then waits, ahead of whatever else is queued, until it resumes.
        if (connection._paused) {
          for (let j = inner.length - 1; j >= i; j--) connection._paused_packets.unshift(inner[j]!);
          return false;
        }
        if (this.one(inner[i], connection)) return true;
      }
      return false;
    }

    one(packet: Packet | undefined, connection: Connection): boolean {
      if (packet && packet.end - packet.offset > HEADER_END && packet.buffer[packet.offset] === MARKER) {
        const type = packet.buffer[packet.offset + TYPE_OFFSET];
        const body = packet.offset + HEADER_END;
        if (type === TABLE_MAP_EVENT) {
          const { id, name } = tableMapOf(packet.buffer, body);
          tables.set(id, name);
        } else if (type === PARTIAL_UPDATE_ROWS_EVENT) {
          const name = tables.get(packet.buffer.readUIntLE(body, 6));
          if (name) onPartialUpdate(name);
          return false;
        }
      }
      return super.execute(packet, connection);
    }
  };
}

/**
 * Call once, before `zongji.start()`. `onPartialUpdate` hears of each partial JSON update, whose
 * rows are not handed on: they cannot be made whole.
 */
export function handleMysqlOnlyEvents(zongji: ZongJi, onPartialUpdate: (table: TableName) => void): void {
  const z = zongji as unknown as { BinlogClass: BinlogCommandClass; on(e: 'ready', f: () => void): void };
  z.on('ready', () => {
    z.BinlogClass = withMysqlEvents(z.BinlogClass, zongji, onPartialUpdate);
  });
}
