// Builds DTS records from source changes. Pure and on the hot path: everything that depends only on
// the table (fields, key tags) is computed once per TableSchema object, and images are passed
// through as they are (they are already in avsc's form).
import type { RowChange, SourcePosition, TableSchema } from '../../source/row-change.ts';
import type { DdlChange } from '../record-format.ts';
import { formatPosition } from './position.ts';
import type { DtsField, DtsRecord } from './schema.ts';

/** Protocol version written to every record; DTS consumers do not branch on it. */
export const RECORD_VERSION = 1;

export interface RecordContext {
  /** Increasing per record within a job (not a unique key, as DTS documents). */
  id: bigint | number;
  /** Server version string, e.g. `10.11.6-MariaDB-log`. */
  sourceVersion: string;
  /** Milliseconds; defaults to the event time (`position.timestamp` × 1000). */
  bornTimestamp?: number;
  /**
   * Where a restart must resume so it never splits this change's transaction (normally where the
   * transaction began). Defaults to the change's own position, which is right for single-event
   * transactions and snapshot rows.
   */
  safePosition?: SourcePosition;
}

export interface RowRecordContext extends RecordContext {
  /** `objectName(db, table)`, computed once per table by the caller. */
  objectName: string;
}

interface TableShape {
  fields: readonly DtsField[];
  tags: Readonly<Record<string, string>>;
}

const shapes = new WeakMap<TableSchema, TableShape>();
const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});

const escapeName = (name: string): string => (name.includes('.') ? name.replaceAll('.', '\\u002E') : name);

/** `db.table` (or `db`), with a literal `.` inside either name written as `\u002E`. */
export const objectName = (db: string, table?: string | null): string =>
  table == null ? escapeName(db) : `${escapeName(db)}.${escapeName(table)}`;

/**
 * The `pk_uk_info` tag: `{"PRIMARY":[...],"<index>":[...]}`, primary key first, unique keys in the
 * schema's order. A table without keys gets `{}` so consumers can always parse the tag.
 * Built by hand so PRIMARY stays first even beside an integer-like index name (objects list those first).
 */
export function pkUkInfo(table: TableSchema): string {
  const entries: [string, string[]][] = [];
  if (table.primaryKey.length > 0) entries.push(['PRIMARY', table.primaryKey]);
  for (const name of Object.keys(table.uniqueKeys)) entries.push([name, table.uniqueKeys[name]!]);
  return `{${entries.map(([name, cols]) => `${JSON.stringify(name)}:${JSON.stringify(cols)}`).join(',')}}`;
}

function shapeOf(table: TableSchema): TableShape {
  let shape = shapes.get(table);
  if (shape === undefined) {
    // Frozen because every record of the table shares them.
    shape = {
      fields: Object.freeze(
        table.columns.map((c) => Object.freeze({ name: c.name, dataTypeNumber: c.typeNumber })),
      ),
      tags: Object.freeze({ pk_uk_info: pkUkInfo(table) }),
    };
    shapes.set(table, shape);
  }
  return shape;
}

function image(change: RowChange, which: 'before' | 'after', width: number) {
  const row = change[which];
  if (row === null || row.length !== width) {
    throw new Error(
      `${change.operation} on ${change.table.database}.${change.table.table}: ${which} image ` +
        `${row === null ? 'missing' : `has ${row.length} values for ${width} columns`}`,
    );
  }
  return row;
}

// One object literal with every field in schema order, so V8 gives all records one shape.
function build(
  position: SourcePosition,
  ctx: RecordContext,
  rest: Pick<DtsRecord, 'operation' | 'objectName' | 'tags' | 'fields' | 'beforeImages' | 'afterImages'>,
): DtsRecord {
  const sourcePosition = formatPosition(position);
  return {
    version: RECORD_VERSION,
    id: ctx.id,
    sourceTimestamp: position.timestamp,
    sourcePosition,
    safeSourcePosition: ctx.safePosition === undefined ? sourcePosition : formatPosition(ctx.safePosition),
    sourceTxid: position.gtid,
    source: { sourceType: 'MySQL', version: ctx.sourceVersion },
    operation: rest.operation,
    objectName: rest.objectName,
    processTimestamps: null,
    tags: rest.tags,
    fields: rest.fields,
    beforeImages: rest.beforeImages,
    afterImages: rest.afterImages,
    bornTimestamp: ctx.bornTimestamp ?? position.timestamp * 1000,
  };
}

/** An INSERT, UPDATE, DELETE or INIT (snapshot) row as a DTS record. */
export function rowRecord(change: RowChange, ctx: RowRecordContext): DtsRecord {
  const { fields, tags } = shapeOf(change.table);
  const op = change.operation;
  return build(change.position, ctx, {
    operation: op,
    objectName: ctx.objectName,
    tags,
    fields,
    beforeImages: op === 'UPDATE' || op === 'DELETE' ? image(change, 'before', fields.length) : null,
    afterImages: op === 'DELETE' ? null : image(change, 'after', fields.length),
  });
}

/**
 * An INIT record of `table` without its images, for images encoded apart (a snapshot thread) and
 * put in by RecordEncoder.encodeInitRecords.
 */
export function snapshotRecordShell(
  table: TableSchema,
  position: SourcePosition,
  ctx: RowRecordContext,
): DtsRecord {
  const { fields, tags } = shapeOf(table);
  return build(position, ctx, {
    operation: 'INIT',
    objectName: ctx.objectName,
    tags,
    fields,
    beforeImages: null,
    afterImages: null,
  });
}

/** A DDL statement as a DTS record: no fields, the SQL text as `afterImages`. */
export function ddlRecord(ddl: DdlChange, ctx: RecordContext): DtsRecord {
  return build(ddl.position, ctx, {
    operation: 'DDL',
    objectName: objectName(ddl.database, ddl.table),
    tags: NO_TAGS,
    fields: null,
    beforeImages: null,
    afterImages: ddl.sql,
  });
}
