// The DTS Avro schema (our copy of the published one, pinned by a fingerprint test) compiled once,
// and the TypeScript shape of a record as avsc reads and writes it.
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import type { DtsValue } from './values.ts';

export const RECORD_TYPE_NAME = 'com.alibaba.dts.formats.avro.Record';

export type SourceType =
  | 'MySQL'
  | 'Oracle'
  | 'SQLServer'
  | 'PostgreSQL'
  | 'MongoDB'
  | 'Redis'
  | 'DB2'
  | 'PPAS'
  | 'DRDS'
  | 'HBASE'
  | 'HDFS'
  | 'FILE'
  | 'OTHER';

export type Operation =
  | 'INSERT'
  | 'UPDATE'
  | 'DELETE'
  | 'DDL'
  | 'BEGIN'
  | 'COMMIT'
  | 'ROLLBACK'
  | 'ABORT'
  | 'HEARTBEAT'
  | 'CHECKPOINT'
  | 'COMMAND'
  | 'FILL'
  | 'FINISH'
  | 'CONTROL'
  | 'RDB'
  | 'NOOP'
  | 'INIT';

export interface DtsField {
  name: string;
  dataTypeNumber: number;
}

/**
 * A record in avsc's form. Avro longs are numbers, except `id`, which may also be a bigint beyond
 * 2^53 (decoding returns a number whenever it is exact).
 */
export interface DtsRecord {
  version: number;
  id: number | bigint;
  sourceTimestamp: number;
  sourcePosition: string;
  safeSourcePosition: string;
  sourceTxid: string;
  source: { sourceType: SourceType; version: string };
  operation: Operation;
  objectName: string | null;
  processTimestamps: number[] | null;
  tags: Readonly<Record<string, string>>;
  fields: readonly DtsField[] | string | null;
  beforeImages: readonly DtsValue[] | string | null;
  afterImages: readonly DtsValue[] | string | null;
  bornTimestamp: number;
}

const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
// avsc packs the 8 bytes synchronously, so one scratch buffer serves every write.
const scratch = Buffer.alloc(8);

const toLong = (v: bigint): number | bigint => (v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v);

// avsc's default long refuses anything beyond 2^53; this one also takes bigints (a job's `id`
// generator may produce them) and reads back a number whenever that is exact.
const longType = avro.types.LongType.__with({
  isValid: (v: unknown) =>
    typeof v === 'bigint' ? v >= MIN_LONG && v <= MAX_LONG : Number.isSafeInteger(v as number),
  toBuffer: (v: number | bigint) => {
    if (typeof v === 'bigint') scratch.writeBigInt64LE(v);
    else {
      // A safe integer as two 32-bit halves: no BigInt per long on the hot path.
      const high = Math.floor(v / 2 ** 32);
      scratch.writeUInt32LE(v - high * 2 ** 32, 0);
      scratch.writeInt32LE(high, 4);
    }
    return scratch;
  },
  fromBuffer: (buf: Buffer) => toLong(buf.readBigInt64LE(0)),
  fromJSON: (v: number | string) => (typeof v === 'number' ? v : toLong(BigInt(v))),
  toJSON: (v: number | bigint) => (typeof v === 'number' ? v : toLong(v).toString()),
  compare: (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

const registry: Record<string, avro.Type> = { long: longType };
avro.Type.forSchema(JSON.parse(readFileSync(new URL('./dts-record.avsc', import.meta.url), 'utf8')), {
  registry,
  wrapUnions: 'auto',
});

/** The `Record` type. Image cells are a wrapped union (see values.ts); other unions are plain. */
export const RecordType: avro.Type = registry[RECORD_TYPE_NAME]!;
