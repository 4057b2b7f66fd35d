// MySQL writes JSON into its binlog in its binary form (sql/json_binary.h); a snapshot SELECT gets
// the server's text of the same value. This renders the binary form exactly as MySQL prints it
// (`CAST(col AS CHAR)`), so INIT and binlog records carry the same text: doubles with MySQL's
// digits and notation, integers of 64 bits exact, DECIMAL with its scale, dates and times quoted
// with microseconds, other opaque values as "base64:typeN:…". MariaDB keeps JSON as text and never
// takes this path. Pure; checked against the server in test/integration/source/mysql-flavors.test.ts.

const SMALL_OBJECT = 0x00;
const LARGE_OBJECT = 0x01;
const SMALL_ARRAY = 0x02;
const LARGE_ARRAY = 0x03;
const LITERAL = 0x04;
const INT16 = 0x05;
const UINT16 = 0x06;
const INT32 = 0x07;
const UINT32 = 0x08;
const INT64 = 0x09;
const UINT64 = 0x0a;
const DOUBLE = 0x0b;
const STRING = 0x0c;
const OPAQUE = 0x0f;

// Column types of opaque values that MySQL prints as themselves.
const MYSQL_TYPE_TIMESTAMP = 7;
const MYSQL_TYPE_DATE = 10;
const MYSQL_TYPE_TIME = 11;
const MYSQL_TYPE_DATETIME = 12;
const MYSQL_TYPE_NEWDECIMAL = 246;

/** The text MySQL prints for a binary JSON value; an empty value is JSON null. */
export function mysqlJsonText(bytes: Buffer): string {
  if (bytes.length === 0) return 'null';
  return value(bytes, bytes[0]!, 1, bytes.length);
}

function value(buf: Buffer, type: number, at: number, end: number): string {
  switch (type) {
    case SMALL_OBJECT:
    case LARGE_OBJECT:
      return container(buf, at, type === LARGE_OBJECT, true);
    case SMALL_ARRAY:
    case LARGE_ARRAY:
      return container(buf, at, type === LARGE_ARRAY, false);
    case LITERAL:
      return literal(buf[at]!);
    case INT16:
      return String(buf.readInt16LE(at));
    case UINT16:
      return String(buf.readUInt16LE(at));
    case INT32:
      return String(buf.readInt32LE(at));
    case UINT32:
      return String(buf.readUInt32LE(at));
    case INT64:
      return buf.readBigInt64LE(at).toString();
    case UINT64:
      return buf.readBigUInt64LE(at).toString();
    case DOUBLE:
      return mysqlDoubleText(buf.readDoubleLE(at));
    case STRING: {
      const [length, size] = varLength(buf, at, end);
      return quote(buf.toString('utf8', at + size, at + size + length));
    }
    case OPAQUE: {
      const fieldType = buf[at]!;
      const [length, size] = varLength(buf, at + 1, end);
      return opaque(fieldType, buf.subarray(at + 1 + size, at + 1 + size + length));
    }
    default:
      throw new Error(`binary JSON: unknown value type 0x${type.toString(16)}`);
  }
}

function literal(byte: number): string {
  if (byte === 0) return 'null';
  if (byte === 1) return 'true';
  if (byte === 2) return 'false';
  throw new Error(`binary JSON: unknown literal 0x${byte.toString(16)}`);
}

function container(buf: Buffer, start: number, large: boolean, object: boolean): string {
  const width = large ? 4 : 2;
  const read = (at: number) => (large ? buf.readUInt32LE(at) : buf.readUInt16LE(at));
  const count = read(start);
  const bytes = read(start + width);
  const end = start + bytes;
  const keyEntries = start + 2 * width;
  const valueEntries = keyEntries + (object ? count * (width + 2) : 0);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const entry = valueEntries + i * (1 + width);
    const type = buf[entry]!;
    const inlined =
      type === LITERAL || type === INT16 || type === UINT16 || (large && (type === INT32 || type === UINT32));
    const text = inlined ? value(buf, type, entry + 1, end) : value(buf, type, start + read(entry + 1), end);
    if (!object) {
      parts.push(text);
      continue;
    }
    const keyAt = keyEntries + i * (width + 2);
    const keyOffset = read(keyAt);
    const keyLength = buf.readUInt16LE(keyAt + width);
    parts.push(`${quote(buf.toString('utf8', start + keyOffset, start + keyOffset + keyLength))}: ${text}`);
  }
  return object ? `{${parts.join(', ')}}` : `[${parts.join(', ')}]`;
}

/** A length in 7-bit groups, least significant first, the high bit saying another follows. */
function varLength(buf: Buffer, at: number, end: number): [length: number, size: number] {
  let length = 0;
  for (let i = 0; i < 5 && at + i < end; i++) {
    const byte = buf[at + i]!;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return [length, i + 1];
  }
  throw new Error('binary JSON: bad variable-length integer');
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function quote(text: string): string {
  let out = '"';
  for (const c of text) {
    const code = c.charCodeAt(0);
    out += ESCAPES[c] ?? (code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : c);
  }
  return `${out}"`;
}

/**
 * A double as MySQL's JSON printer writes it: the shortest digits that read back as the same
 * double, in plain notation unless that would pad more than 15 integer digits with zeros or start
 * with more than 14 zeros after the point; ".0" added to a plain integral number. (Measured on
 * MySQL 9.7: 1e14 → 100000000000000.0, 1e15 → 1e15, 1234567890123456.8 plain, 1e-15 →
 * 0.000000000000001, 1e-16 → 1e-16.)
 */
export function mysqlDoubleText(d: number): string {
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const sign = d < 0 ? '-' : '';
  const [mantissa, exp] = Math.abs(d).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const decpt = Number(exp) + 1;
  if ((decpt > 15 && decpt >= digits.length) || decpt < -14) {
    const e = Number(exp);
    return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${e}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

function opaque(fieldType: number, data: Buffer): string {
  switch (fieldType) {
    case MYSQL_TYPE_NEWDECIMAL:
      return binaryDecimalText(data.subarray(2), data[0]!, data[1]!);
    case MYSQL_TYPE_DATE:
      return `"${packedDateTime(data.readBigInt64LE(0)).date}"`;
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP: {
      const t = packedDateTime(data.readBigInt64LE(0));
      return `"${t.date} ${t.time}"`;
    }
    case MYSQL_TYPE_TIME:
      return `"${packedTime(data.readBigInt64LE(0))}"`;
    default:
      return `"base64:type${fieldType}:${data.toString('base64')}"`;
  }
}

const pad = (n: number | bigint, width: number) => String(n).padStart(width, '0');

// MySQL's packed DATETIME: ((year*13+month) << 5 | day) << 17 | hour << 12 | minute << 6 | second,
// shifted 24 bits above the microseconds.
function packedDateTime(packed: bigint): { date: string; time: string } {
  const micros = Number(packed & 0xffffffn);
  const ymdhms = Number(packed >> 24n);
  const ymd = Math.floor(ymdhms / 2 ** 17);
  const hms = ymdhms % 2 ** 17;
  const ym = Math.floor(ymd / 32);
  const date = `${pad(Math.floor(ym / 13), 4)}-${pad(ym % 13, 2)}-${pad(ymd % 32, 2)}`;
  const time = `${pad(hms >> 12, 2)}:${pad((hms >> 6) % 64, 2)}:${pad(hms % 64, 2)}.${pad(micros, 6)}`;
  return { date, time };
}

function packedTime(packed: bigint): string {
  const negative = packed < 0n;
  const abs = negative ? -packed : packed;
  const micros = Number(abs & 0xffffffn);
  const hms = Number(abs >> 24n);
  const hours = Math.floor(hms / 4096) % 1024;
  return `${negative ? '-' : ''}${pad(hours, 2)}:${pad((hms >> 6) % 64, 2)}:${pad(hms % 64, 2)}.${pad(micros, 6)}`;
}

// MySQL's binary DECIMAL: groups of 9 digits in 4 bytes (fewer digits in fewer bytes), big-endian,
// the sign in the first bit (set for non-negative), negative numbers with every bit inverted.
const GROUP_BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

function binaryDecimalText(bin: Buffer, precision: number, scale: number): string {
  const intDigits = precision - scale;
  const intWhole = Math.floor(intDigits / 9);
  const intLead = intDigits % 9;
  const fracWhole = Math.floor(scale / 9);
  const fracTail = scale % 9;
  const bytes = Buffer.from(
    bin.subarray(0, GROUP_BYTES[intLead]! + intWhole * 4 + fracWhole * 4 + GROUP_BYTES[fracTail]!),
  );
  const negative = (bytes[0]! & 0x80) === 0;
  bytes[0]! ^= 0x80;
  if (negative) for (let i = 0; i < bytes.length; i++) bytes[i]! ^= 0xff;
  let at = 0;
  const group = (size: number, digits: number) => {
    if (digits === 0) return '';
    const n = size === 0 ? 0 : bytes.readUIntBE(at, size);
    at += size;
    return pad(n, digits);
  };
  let int = group(GROUP_BYTES[intLead]!, intLead);
  for (let i = 0; i < intWhole; i++) int += group(4, 9);
  let frac = '';
  for (let i = 0; i < fracWhole; i++) frac += group(4, 9);
  frac += group(GROUP_BYTES[fracTail]!, fracTail);
  int = int.replace(/^0+(?=\d)/, '') || '0';
  return `${negative ? '-' : ''}${int}${scale > 0 ? `.${frac}` : ''}`;
}
