// What the pipeline writes records with, whatever the format (target.format): a table's encoder,
// built once per table shape, and DDL records. A snapshot thread encodes the per-row part of INIT
// records (snapshotRows) beside the event loop; the pipeline puts the record's id and position
// around it when it queues the row.

import type { RowChange, SnapshotRow, SourcePosition, TableSchema } from '../source/row-change.ts';

export const FORMATS = ['dts-avro', 'canal-json'] as const;
export type FormatName = (typeof FORMATS)[number];

/** Where a table's records say they come from: the names after spec.objects renames. */
export interface TableTarget {
  database: string;
  table: string;
  /** `database.table` as DTS-Avro writes it (objectName()). */
  objectName: string;
}

/** A DDL statement as the source saw it, under its target names. `table` is null for database-level statements. */
export interface DdlChange {
  database: string;
  table: string | null;
  sql: string;
  position: SourcePosition;
}

export interface TableEncoder {
  /** An INSERT, UPDATE or DELETE as a Kafka message value; `id` increases per record within a job. */
  row(change: RowChange, id: number): Buffer;
  /**
   * INIT records at `position` (a snapshot window's rows), each around the bytes snapshotRows
   * encoded for its row.
   */
  snapshotRows(position: SourcePosition): (id: number, rowBytes: Buffer) => Buffer;
}

export interface RecordFormat {
  name: FormatName;
  table(schema: TableSchema, target: TableTarget): TableEncoder;
  ddl(ddl: DdlChange, id: number): Buffer;
}

/** Packed byte strings: row i is `bytes[ends[i - 1] ?? 0 .. ends[i]]`. */
export interface PackedRows {
  bytes: Buffer;
  ends: Uint32Array;
}

/** The per-row part of INIT records of one table, as a snapshot thread encodes it. Pure. */
export type SnapshotRowsEncoder = (rows: readonly SnapshotRow[]) => PackedRows;
