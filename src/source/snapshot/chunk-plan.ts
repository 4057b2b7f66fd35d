// How the snapshot reads a table in chunks by its key, without locks: each chunk is one autocommit
// `SELECT … WHERE key > cursor ORDER BY key LIMIT n` walking a unique NOT NULL index. Pure: the
// key choice, the SQL (built once per table) and its parameters for a cursor.
import { isIntegerType, TYPE } from '../mysql/column-types.ts';
import { quoteIdentifier, snapshotSelectList } from '../mysql/snapshot-query.ts';
import type { ColumnSpec, TableSchema } from '../row-change.ts';

/** Why a table without a usable key is read in one unordered scan, for the coordinator to surface. */
export const NO_USABLE_KEY = 'no usable key: duplicates possible on restart';

/**
 * Where the previous chunk ended, JSON-serializable (it is stored with the offsets in Kafka):
 * the key columns and, per column, the bytes the snapshot SELECT returned for it, as hex. Bytes,
 * not text, because a text key's bytes are in the column's charset (latin1 0x81 has no UTF-8 form).
 */
export interface ChunkCursor {
  key: string[];
  hex: string[];
}

export interface ChunkKey {
  /** The index the chunks walk: `PRIMARY` or a unique key's name. */
  index: string;
  columns: ColumnSpec[];
  /** Positions of the key columns in `TableSchema.columns`, hence in every row. */
  positions: number[];
}

/**
 * How one key column's cursor value is written back into SQL so the comparison is the index's:
 * numbers and temporals as text CAST to the column's type (MySQL compares an integer column with
 * a bare string as doubles, merging BIGINT neighbours above 2^53); byte strings as UNHEX; text as
 * its bytes relabelled to the column's charset and compared in the column's collation, so 'a' < 'B'
 * under a case-insensitive collation and latin1_swedish_ci sorts 'é' with 'e', as the index does.
 */
type KeyBind = { kind: 'cast'; type: string } | { kind: 'bytes' } | { kind: 'text'; charset: string };

function keyBindOf(column: ColumnSpec): KeyBind | null {
  const { typeNumber, unsigned, precision, scale, charset } = column;
  if (isIntegerType(typeNumber)) return { kind: 'cast', type: unsigned ? 'UNSIGNED' : 'SIGNED' };
  switch (typeNumber) {
    case TYPE.YEAR:
      return { kind: 'cast', type: 'UNSIGNED' };
    case TYPE.DECIMAL:
      return { kind: 'cast', type: `DECIMAL(${precision},${scale})` };
    case TYPE.DATE:
      return { kind: 'cast', type: 'DATE' };
    // The snapshot session runs in UTC, so TIMESTAMP text and the compared DATETIME agree.
    case TYPE.DATETIME:
    case TYPE.TIMESTAMP:
      return { kind: 'cast', type: `DATETIME(${scale})` };
    case TYPE.TIME:
      return { kind: 'cast', type: `TIME(${scale})` };
    case TYPE.CHAR:
    case TYPE.VARCHAR:
      if (charset === null || charset === 'binary') return { kind: 'bytes' };
      return { kind: 'text', charset };
    // FLOAT/DOUBLE, BIT, ENUM/SET (the select list returns labels, the index orders by number),
    // TEXT/BLOB (prefix or hash keys) and the rest: not used to page.
    default:
      return null;
  }
}

/** Whether `columns` (by name) can page chunks: every one NOT NULL and of a type keyBindOf knows. */
function usableKey(table: TableSchema, index: string, names: readonly string[]): ChunkKey | null {
  if (names.length === 0) return null;
  const positions = names.map((name) => table.columns.findIndex((column) => column.name === name));
  if (positions.some((position) => position < 0)) return null;
  const columns = positions.map((position) => table.columns[position]!);
  if (columns.some((column) => column.nullable || keyBindOf(column) === null)) return null;
  return { index, columns, positions };
}

/**
 * The key chunks page on: the primary key, else the first unique key whose columns are all NOT NULL
 * (NULLs are not unique and `>` skips them); null when there is none: the table is read in one
 * unordered scan and a restart repeats it (NO_USABLE_KEY).
 */
export function chooseChunkKey(table: TableSchema): ChunkKey | null {
  const candidates: [string, string[]][] = [
    ['PRIMARY', table.primaryKey],
    ...Object.entries(table.uniqueKeys),
  ];
  for (const [index, names] of candidates) {
    const key = usableKey(table, index, names);
    if (key !== null) return key;
  }
  return null;
}

/** Columns whose collation the chunk SQL needs (text key columns). */
export function textKeyColumns(key: ChunkKey): string[] {
  return key.columns.filter((column) => keyBindOf(column)?.kind === 'text').map((column) => column.name);
}

export interface ChunkQueries {
  key: ChunkKey;
  /** The first chunk, from the start of the index. */
  firstSql: string;
  /** Every later chunk, after a cursor. */
  nextSql: string;
  /** Per key column: the parameter for a cursor value. */
  params: ((hex: string) => string)[];
}

// Names that go into SQL unquoted (CONVERT … USING, COLLATE) come from information_schema; refuse
// anything that is not a plain name rather than trust it.
function sqlName(name: string): string {
  if (!/^\w+$/.test(name)) throw new Error(`unexpected charset or collation name ${JSON.stringify(name)}`);
  return name;
}

function placeholder(column: ColumnSpec, bind: KeyBind, collations: ReadonlyMap<string, string>): string {
  switch (bind.kind) {
    case 'cast':
      return `CAST(? AS ${bind.type})`;
    case 'bytes':
      return 'UNHEX(?)';
    case 'text': {
      const collation = collations.get(column.name);
      if (collation === undefined) throw new Error(`no collation known for key column ${column.name}`);
      return `CONVERT(UNHEX(?) USING ${sqlName(bind.charset)}) COLLATE ${sqlName(collation)}`;
    }
  }
}

const asciiText = (hex: string): string => Buffer.from(hex, 'hex').toString('latin1');
const asHex = (hex: string): string => hex;

/**
 * The chunk SELECTs of `table` on `key`; `collations` maps each of textKeyColumns(key) to its
 * collation. The keyset condition is the expanded `k1 > ? OR (k1 = ? AND k2 > ?) OR …`: MariaDB
 * 10.11 turns it into index ranges, while a row comparison `(k1, k2) > (?, ?)` is not sargable
 * and walks the index from its start on every chunk. FORCE INDEX keeps the optimizer from
 * choosing a table scan and a sort on a secondary unique key.
 */
export function planChunkQueries(
  table: TableSchema,
  key: ChunkKey,
  collations: ReadonlyMap<string, string>,
): ChunkQueries {
  const binds = key.columns.map((column) => {
    const bind = keyBindOf(column);
    if (bind === null) throw new Error(`column ${column.name} cannot page chunks`);
    return { name: quoteIdentifier(column.name), bind, sql: placeholder(column, bind, collations) };
  });
  const from = `SELECT ${snapshotSelectList(table.columns)} FROM ${tableName(table)} FORCE INDEX (${quoteIdentifier(key.index)})`;
  const orderBy = `ORDER BY ${binds.map((b) => b.name).join(', ')} LIMIT ?`;
  const after = binds
    .map((_, i) => {
      const equal = binds.slice(0, i).map((b) => `${b.name} = ${b.sql}`);
      const term = [...equal, `${binds[i]!.name} > ${binds[i]!.sql}`].join(' AND ');
      return i === 0 ? term : `(${term})`;
    })
    .join(' OR ');
  return {
    key,
    firstSql: `${from} ${orderBy}`,
    nextSql: `${from} WHERE ${after} ${orderBy}`,
    params: binds.map(({ bind }) => (bind.kind === 'cast' ? asciiText : asHex)),
  };
}

/** The one SELECT of a table without a usable key. */
export function fullScanSql(table: TableSchema): string {
  return `SELECT ${snapshotSelectList(table.columns)} FROM ${tableName(table)}`;
}

function tableName(table: TableSchema): string {
  return `${quoteIdentifier(table.database)}.${quoteIdentifier(table.table)}`;
}

/** The SQL and parameters of the chunk after `after` (null: the first chunk). */
export function chunkQuery(
  queries: ChunkQueries,
  after: ChunkCursor | null,
  limit: number,
): { sql: string; values: (string | number)[] } {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new Error(`chunk limit must be a positive integer, got ${limit}`);
  if (after === null) return { sql: queries.firstSql, values: [limit] };
  const values = cursorParams(queries, after);
  // Term i of the expanded condition binds key values 0..i.
  const bound = values.flatMap((_, i) => values.slice(0, i + 1));
  return { sql: queries.nextSql, values: [...bound, limit] };
}

function cursorParams(queries: ChunkQueries, cursor: ChunkCursor): string[] {
  const names = queries.key.columns.map((column) => column.name);
  if (
    cursor.key.length !== names.length ||
    cursor.key.some((name, i) => name !== names[i]) ||
    cursor.hex.length !== names.length
  ) {
    throw new Error(
      `chunk cursor on key (${cursor.key.join(', ')}) does not fit the table's chunk key (${names.join(', ')})`,
    );
  }
  return cursor.hex.map((hex, i) => {
    if (!/^(?:[0-9a-f]{2})*$/.test(hex))
      throw new Error(`chunk cursor value ${JSON.stringify(hex)} is not hex`);
    return queries.params[i]!(hex);
  });
}

/** The cursor after a row as the chunk SELECT returned it (raw cells, see SNAPSHOT_QUERY_OPTIONS). */
export function cursorAfter(key: ChunkKey, row: readonly unknown[]): ChunkCursor {
  return cursorOf(
    key.columns.map((column) => column.name),
    key.positions.map((position, i) => {
      const cell = row[position];
      if (!Buffer.isBuffer(cell)) throw new Error(`key column ${key.columns[i]!.name} returned no bytes`);
      return cell;
    }),
  );
}

/** The cursor after a row whose key columns `names` hold `cells`, as the chunk SELECT returned them. */
export const cursorOf = (names: string[], cells: readonly Buffer[]): ChunkCursor => ({
  key: names,
  hex: cells.map((cell) => cell.toString('hex')),
});
