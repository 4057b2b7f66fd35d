// How zongji must be set up so that its row values are what binlogConverter expects.
//
// zongji (0.9.0) decodes text columns to JS strings with iconv-lite and GEOMETRY to {x, y} objects.
// Both lose what DTS must carry: the stored bytes (iconv-lite's cp1252, which zongji uses for
// MySQL latin1, turns 0x81/0x8D/0x8F/0x90/0x9D into U+FFFD, so re-encoding cannot give them back)
// and the WKB. It also takes each column's charset from the table map, which on MariaDB is
// misaligned after a GEOMETRY column (MariaDB lists GEOMETRY among character columns, zongji does
// not), so a gbk CHAR can be decoded as BINARY. keepRawCells sidesteps all of it: it tells zongji
// to read every string, TEXT/BLOB and GEOMETRY column as a BLOB without charset, whose wire form
// (length prefix, then the bytes) they share, so zongji hands the stored bytes as a Buffer.
import type { TableMapEntry } from '@vlasky/zongji';
import type { ConnectionOptions } from 'mysql2';
import type { DateTimeParts } from '../../format/dts-avro/values.ts';

/**
 * mysql2 options to spread into zongji's dsn (zongji reads them from its connection config):
 * DATE/DATETIME/TIMESTAMP as MySQL text with all microseconds and zero dates intact (a Date
 * truncates to milliseconds and throws on `0000-00-00`), TIMESTAMP rendered in UTC, MySQL 8 JSON as
 * text. `decimalNumbers` must stay unset: DECIMAL arrives as its exact string.
 */
export const ZONGJI_CONNECTION_OPTIONS = {
  dateStrings: true,
  timezone: 'Z',
  jsonStrings: true,
} as const satisfies ConnectionOptions;

const VARCHAR = 15;
const TINY_BLOB = 249;
const MEDIUM_BLOB = 250;
const LONG_BLOB = 251;
const BLOB = 252;
const CHAR = 254;
const GEOMETRY = 255;
// Only MySQL logs JSON as JSON (its binary form); MariaDB's JSON is LONGTEXT in the binlog.
const JSON_TYPE = 245;

/**
 * Makes zongji hand the stored bytes of every string, TEXT/BLOB, GEOMETRY and JSON column of this
 * table (GEOMETRY: MySQL's SRID + WKB; JSON: MySQL's binary form). Call it with `event.tableMap[event.tableId]` for every TableMap
 * event, from the 'binlog' listener: zongji emits a TableMap before it parses the next event, so
 * the table's row events are decoded with it. 'tablemap' must be among `includeEvents` (zongji
 * needs it anyway). Idempotent.
 */
export function keepRawCells(entry: TableMapEntry): void {
  const columns = entry.columns ?? [];
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    switch (column.type) {
      case CHAR:
      case VARCHAR: {
        // CHAR/VARCHAR prefix their length with 1 byte, or 2 when the byte width exceeds 255.
        const lengthSize = (column.metadata.max_length as number) > 255 ? 2 : 1;
        columns[i] = { ...column, type: BLOB, charset: null, metadata: { length_size: lengthSize } };
        break;
      }
      case GEOMETRY:
        columns[i] = { ...column, type: BLOB, charset: null };
        break;
      // The binary JSON as stored (mysqlJsonText renders it): zongji's own decoding drops the
      // difference between 1 and 1.0 and cannot read opaque values.
      case JSON_TYPE:
        columns[i] = { ...column, type: BLOB, charset: null };
        break;
      case TINY_BLOB:
      case MEDIUM_BLOB:
      case LONG_BLOB:
      case BLOB:
        if (column.charset !== null) columns[i] = { ...column, charset: null };
        break;
    }
  }
}

/**
 * zongji 0.9.0 negates a negative TIME2 by flipping its packed bits and adding 1 to the 6-bit
 * seconds field alone, losing the carry: -00:30:00 arrives as -00:29:64 and -01:00:00 as -00:63:64.
 * A field at 64 can only be that lost carry, and the true field is then 0: put the carry back.
 * Takes parseTimeText's parts (all negative) and fixes them in place.
 */
export function carryLostTimeFields(parts: DateTimeParts): DateTimeParts {
  if (parts.second !== null && parts.minute !== null && parts.hour !== null && parts.second === -64) {
    parts.second = 0;
    parts.minute -= 1;
    if (parts.minute === -64) {
      parts.minute = 0;
      parts.hour -= 1;
    }
  }
  return parts;
}
