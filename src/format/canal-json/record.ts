// The shape of a Canal JSON record (what format.ts writes, docs/canal-json.md), and the check
// `syncjob decode` and tests read one with.

export interface CanalRecord {
  /** Rows: the after image (DELETE: the deleted row); null for DDL. One row per record. */
  data: Record<string, string | null>[] | null;
  database: string;
  /** Source time of the change, epoch milliseconds (the binlog's seconds × 1000). */
  es: number;
  /** GTID of the source transaction; '' when the source has none. */
  gtid: string;
  /** Increases per record within a job. */
  id: number;
  isDdl: boolean;
  /** Declared column types (`int(11)`, `varchar(20)`); null for DDL. */
  mysqlType: Record<string, string> | null;
  /** UPDATE: the changed columns with their values before; otherwise null. */
  old: Record<string, string | null>[] | null;
  /** Primary key columns; null for DDL and for tables without a primary key. */
  pkNames: string[] | null;
  /** The statement of a DDL record; '' otherwise. */
  sql: string;
  /** java.sql.Types code per column; null for DDL. */
  sqlType: Record<string, number> | null;
  table: string;
  /** When the record was written, epoch milliseconds. */
  ts: number;
  type: string;
}

/** The message as a Canal JSON record; throws when it is not one. */
export function parseCanalRecord(value: Buffer): CanalRecord {
  // A DTS-Avro record starts with its version (1, zig-zag 0x02): never `{`.
  if (value[0] !== 0x7b) throw new Error('not a Canal JSON record');
  const rec = JSON.parse(value.toString('utf8')) as Partial<CanalRecord> | null;
  if (
    typeof rec !== 'object' ||
    rec === null ||
    typeof rec.type !== 'string' ||
    typeof rec.database !== 'string' ||
    typeof rec.isDdl !== 'boolean' ||
    !('data' in rec)
  ) {
    throw new Error('not a Canal JSON record');
  }
  return rec as CanalRecord;
}
