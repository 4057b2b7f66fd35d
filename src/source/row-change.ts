// What the source side (binlog stream, snapshot) hands the pipeline: row changes of one table with
// values already converted to DTS image cells, and where in the binlog they come from.
import type { DtsValue } from '../format/dts-avro/values.ts';

/** One column as the DTS record describes it. `typeNumber` is the dataTypeNumber written to Kafka. */
export interface ColumnSpec {
  name: string;
  /** MySQL column type code as DTS writes it (TIMESTAMP2/DATETIME2/TIME2 already mapped to 7/12/11). */
  typeNumber: number;
  /** Lower-case SQL type name without arguments: `int`, `varchar`, `datetime`, `geometry`, … */
  sqlType: string;
  /** The full declared type as MySQL shows it (COLUMN_TYPE): `int(10) unsigned`, `enum('a','b')`, `json`. */
  columnType: string;
  unsigned: boolean;
  /** Character set of text columns as MySQL names it (`utf8mb4`, `latin1`, `gbk`); `binary` for byte strings. */
  charset: string | null;
  /** Digits (DECIMAL), bits (BIT), length, or display precision; 0 when the type has none. */
  precision: number;
  /** DECIMAL scale or fractional-second digits (0–6). */
  scale: number;
  nullable: boolean;
}

export interface TableSchema {
  database: string;
  table: string;
  columns: ColumnSpec[];
  /** Primary key column names in key order; empty when the table has none. */
  primaryKey: string[];
  /** Unique keys by index name, used when there is no primary key and for `pk_uk_info`. */
  uniqueKeys: Record<string, string[]>;
}

/**
 * A row as a snapshot SELECT returns it: per column (of `TableSchema.columns`) the bytes the
 * server sent, null for NULL; snapshotCellForm says what a column's bytes are.
 */
export type SnapshotRow = readonly (Buffer | null)[];

/** Where a change is in the source's binlog. */
export interface SourcePosition {
  file: string;
  /** Offset of the event's end in `file` (the position to resume after it). */
  offset: number;
  /** GTID of the transaction (MariaDB `domain-server-seq`, MySQL `uuid:n`), or '' when none. */
  gtid: string;
  /** Event time, epoch seconds. */
  timestamp: number;
}

export type RowOperation = 'INSERT' | 'UPDATE' | 'DELETE' | 'INIT';

export interface RowChange {
  operation: RowOperation;
  table: TableSchema;
  /** Images aligned with `table.columns`; INSERT/INIT have only after, DELETE only before. */
  before: DtsValue[] | null;
  after: DtsValue[] | null;
  position: SourcePosition;
  /** The binlog left columns out of an image (binlog_row_image MINIMAL or NOBLOB): not syncable. */
  partial?: boolean;
}
