// The image fields of INIT records (no before image, the row as after image) written straight from
// a snapshot's cells. Where a cell's bytes are a field of its DTS value (cell-forms.ts) they are
// copied after their length, with the rest of the value's fields encoded once per column; other
// cells are built and encoded by avsc. The bytes are what avsc writes for the DtsValues that
// cellFromBytes makes (a unit test holds the two together): building a value object per cell,
// and a string per number or date, was most of what a snapshot thread spent on a row.
import type avro from 'avsc';
import type { SnapshotRow } from '../../source/row-change.ts';
import type { PackedRows } from '../record-format.ts';
import { type CellForm, cellFromBytes } from './cell-forms.ts';
import { RecordType } from './schema.ts';
import { BINARY_OBJECT, CHARACTER, DATETIME, type DateTimeParts, DECIMAL, INTEGER } from './values.ts';
import { longBytes, putLong, zigzag } from './varint.ts';

interface NamedType {
  name?: string;
  typeName: string;
}
type RecordOf = { fields: { name: string; type: NamedType & { types?: NamedType[] } }[] };
type UnionOf = { types: NamedType[] };

const fieldType = (record: unknown, name: string) => {
  const field = (record as RecordOf).fields.find((f) => f.name === name);
  if (!field) throw new Error(`the DTS record schema has no field ${name}`);
  return field.type;
};
const branch = (union: unknown, match: (t: NamedType) => boolean): number => {
  const index = (union as UnionOf).types.findIndex(match);
  if (index < 0) throw new Error('the DTS record schema changed: a union lost a branch');
  return index;
};

const BEFORE = fieldType(RecordType, 'beforeImages');
const AFTER = fieldType(RecordType, 'afterImages');
const ARRAY = (AFTER as unknown as UnionOf).types[branch(AFTER, (t) => t.typeName === 'array')]!;
/** The union of image cells (wrapped: each DtsValue names its branch). */
const CELL = (ARRAY as unknown as { itemsType: avro.Type }).itemsType;
const cellBranch = (name: string) => branch(CELL, (t) => t.name === name);
const DATETIME_FIELDS = (
  (CELL as unknown as UnionOf).types[cellBranch(DATETIME)] as unknown as RecordOf
).fields.map((f) => ({
  name: f.name as keyof DateTimeParts,
  ifNull: zigzag(branch(f.type, (t) => t.typeName === 'null')),
  ifInt: zigzag(branch(f.type, (t) => t.typeName === 'int')),
}));
// Before every row's cells: the before image's null, the after image's array branch.
const ROW_HEAD = [
  branch(BEFORE, (t) => t.typeName === 'null'),
  branch(AFTER, (t) => t.typeName === 'array'),
].map(zigzag);
const NULL_CELL = zigzag(branch(CELL, (t) => t.typeName === 'null'));

const stringBytes = (s: string): number[] => {
  const utf8 = Buffer.from(s);
  return [...longBytes(utf8.length), ...utf8];
};

/** A growing buffer rows are written into; `room` is called before every write. */
interface Output {
  buf: Buffer;
  pos: number;
}

const room = (out: Output, n: number) => {
  if (out.pos + n <= out.buf.length) return;
  // Not from Buffer's shared pool: a snapshot thread transfers this memory away.
  const grown = Buffer.allocUnsafeSlow(Math.max(out.buf.length * 2, out.pos + n));
  out.buf.copy(grown, 0, 0, out.pos);
  out.buf = grown;
};

function putConstant(out: Output, bytes: Uint8Array) {
  out.buf.set(bytes, out.pos);
  out.pos += bytes.length;
}

type CellWriter = (out: Output, bytes: Buffer) => void;

/** A cell `before`, then the bytes with their length, then `after`; both constant per column. */
function framed(before: number[], after: number[] = []): CellWriter {
  const head = Uint8Array.from(before);
  const tail = Uint8Array.from(after);
  return (out, bytes) => {
    room(out, head.length + 10 + bytes.length + tail.length);
    putConstant(out, head);
    out.pos = putLong(out.buf, out.pos, bytes.length);
    out.pos += bytes.copy(out.buf, out.pos);
    if (tail.length > 0) putConstant(out, tail);
  };
}

function cellWriter(form: CellForm): CellWriter {
  switch (form.kind) {
    case 'integer':
      return framed([...longBytes(cellBranch(INTEGER)), ...longBytes(form.precision)]);
    case 'decimal':
      return framed(longBytes(cellBranch(DECIMAL)), [...longBytes(form.precision), ...longBytes(form.scale)]);
    case 'character':
      return framed([...longBytes(cellBranch(CHARACTER)), ...stringBytes(form.charset)]);
    case 'binaryObject':
      return framed([...longBytes(cellBranch(BINARY_OBJECT)), ...stringBytes(form.type)]);
    case 'dateTime': {
      const head = zigzag(cellBranch(DATETIME));
      return (out, bytes) => {
        const parts = form.parts(bytes);
        room(out, 1 + DATETIME_FIELDS.length * 6);
        const { buf } = out;
        buf[out.pos++] = head;
        for (const f of DATETIME_FIELDS) {
          const v = parts[f.name];
          if (v === null) buf[out.pos++] = f.ifNull;
          else {
            buf[out.pos++] = f.ifInt;
            out.pos = putLong(buf, out.pos, v);
          }
        }
      };
    }
    case 'other': {
      const build = cellFromBytes(form);
      return (out, bytes) => {
        const value = build(bytes);
        for (;;) {
          const next = CELL.encode(value, out.buf, out.pos);
          if (next >= 0) {
            out.pos = next;
            return;
          }
          room(out, out.buf.length - out.pos - next);
        }
      };
    }
  }
}

/** The image fields of one table's INIT records, from rows of cells in `forms` (one per column). */
export function snapshotImagesEncoder(
  forms: readonly CellForm[],
): (rows: readonly SnapshotRow[]) => PackedRows {
  const writers = forms.map(cellWriter);
  const count = longBytes(forms.length);
  const head = Uint8Array.from([...ROW_HEAD, ...(forms.length > 0 ? count : [])]);
  return (rows) => {
    const ends = new Uint32Array(rows.length);
    const out: Output = { buf: Buffer.allocUnsafeSlow(Math.max(1024, rows.length * 128)), pos: 0 };
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      room(out, head.length);
      putConstant(out, head);
      for (let c = 0; c < writers.length; c++) {
        const bytes = row[c];
        if (bytes === null || bytes === undefined) {
          room(out, 1);
          out.buf[out.pos++] = NULL_CELL;
        } else writers[c]!(out, bytes);
      }
      // The array's end (a block of no items).
      room(out, 1);
      out.buf[out.pos++] = 0;
      ends[i] = out.pos;
    }
    return { bytes: out.buf.subarray(0, out.pos), ends };
  };
}
