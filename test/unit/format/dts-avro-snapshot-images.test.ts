import { describe, expect, it } from 'vitest';
import { cellFromBytes } from '../../../src/format/dts-avro/cell-forms.ts';
import { createRecordEncoder, decodeRecord, encodeRecord } from '../../../src/format/dts-avro/codec.ts';
import { rowRecord, snapshotRecordShell } from '../../../src/format/dts-avro/record.ts';
import type { DtsRecord } from '../../../src/format/dts-avro/schema.ts';
import { snapshotImagesEncoder } from '../../../src/format/dts-avro/snapshot-images.ts';
import { snapshotCellForm } from '../../../src/source/mysql/value-converters.ts';
import type { ColumnSpec, SnapshotRow, TableSchema } from '../../../src/source/row-change.ts';
import { column, position } from './dts-avro-fixtures.ts';

// An INIT record as the pipeline assembles it around images encoded apart.
const encodeWithImages = (shell: DtsRecord, images: Buffer) =>
  createRecordEncoder().encodeInitRecords(shell)(Number(shell.id), images);

const text = (s: string) => Buffer.from(s, 'latin1');

// One column per form (and each converted type), with cells as a snapshot SELECT returns them:
// each column's values include the edges of its encoding (empty, one- and multi-byte lengths,
// signs, absent fractions, zero dates).
const columns: [ColumnSpec, (Buffer | null)[]][] = [
  [column('i', 3, { precision: 10 }), [text('0'), text('-2147483648'), text('42'), null]],
  [
    column('u64', 8, { precision: 20, unsigned: true }),
    [text('18446744073709551615'), text('1'), null, text('7')],
  ],
  [
    column('d', 246, { sqlType: 'decimal', precision: 65, scale: 30 }),
    [
      text('-99999999999999999999999999999999999.999999999999999999999999999999'),
      text('0.00'),
      null,
      text('1'),
    ],
  ],
  [
    column('s', 253, { sqlType: 'varchar', charset: 'utf8mb4' }),
    [Buffer.from('Zoë 😀'), Buffer.alloc(0), Buffer.alloc(200, 'x'), null],
  ],
  [
    column('c', 254, { sqlType: 'char', charset: 'latin1' }),
    [Buffer.from([0x81, 0xe9]), null, text('a'), text('b')],
  ],
  [
    column('vb', 253, { sqlType: 'varbinary', charset: 'binary' }),
    [Buffer.from([0, 255]), null, Buffer.alloc(0), text('z')],
  ],
  [
    column('blob', 252, { sqlType: 'blob', charset: 'binary' }),
    [Buffer.alloc(100_000, 7), Buffer.alloc(0), null, Buffer.alloc(70_000, 1)],
  ],
  [
    column('txt', 252, { sqlType: 'text', charset: 'utf8mb4' }),
    [Buffer.from('ü'), null, Buffer.alloc(0), text('t')],
  ],
  [
    column('dt', 12, { sqlType: 'datetime', scale: 6 }),
    [text('2024-02-29 23:59:59.123456'), text('0000-00-00 00:00:00'), text('9999-12-31 23:59:59.5'), null],
  ],
  [
    column('date', 10, { sqlType: 'date' }),
    [text('2024-01-01'), text('0000-00-00'), null, text('1000-01-01')],
  ],
  // Converted, not written from the bytes:
  [
    column('bin', 254, { sqlType: 'binary', charset: 'binary', precision: 4 }),
    [text('ab'), null, text('abcd'), text('')],
  ],
  [column('f', 4, { sqlType: 'float' }), [text('3.4028234663852886e38'), text('-0'), null, text('0.1')]],
  [column('db', 5, { sqlType: 'double' }), [text('1e-300'), text('2.5'), null, text('0')]],
  [
    column('ts', 7, { sqlType: 'timestamp', scale: 6 }),
    [text('2038-01-19 03:14:07.999999'), text('0000-00-00 00:00:00'), null, text('1970-01-01 00:00:01')],
  ],
  [
    column('t', 11, { sqlType: 'time', scale: 6 }),
    [text('-838:59:59.000000'), text('00:00:00'), null, text('-00:30:00.5')],
  ],
  [column('y', 13, { sqlType: 'year' }), [text('0'), text('2155'), null, text('1901')]],
  [
    column('bits', 16, { sqlType: 'bit', precision: 64 }),
    [Buffer.alloc(8, 0xff), Buffer.from([1]), null, Buffer.alloc(8)],
  ],
  [column('j', 245, { sqlType: 'json' }), [Buffer.from('{"a": [1, "ü"]}'), null, text('null'), text('[]')]],
  [column('e', 247, { sqlType: 'enum' }), [text('small'), text(''), null, text('large')]],
  [column('set', 248, { sqlType: 'set' }), [text('a,b'), text(''), null, text('c')]],
  [
    column('g', 255, { sqlType: 'point' }),
    [
      Buffer.concat([Buffer.alloc(4), Buffer.from('0101000000000000000000f03f000000000000f03f', 'hex')]),
      null,
      null,
      null,
    ],
  ],
];

const table: TableSchema = {
  database: 'db',
  table: 'every_form',
  columns: columns.map(([spec]) => spec),
  primaryKey: ['i'],
  uniqueKeys: {},
};
const forms = table.columns.map(snapshotCellForm);
const rows: SnapshotRow[] = [0, 1, 2, 3].map((r) => columns.map(([, values]) => values[r]!));
const cellsOf = (row: SnapshotRow) =>
  row.map((bytes, i) => (bytes === null ? null : cellFromBytes(forms[i]!)(bytes)));
const ctx = { objectName: 'db.every_form', sourceVersion: '10.11.6-MariaDB-log' };

describe('snapshot images written from the bytes', () => {
  it('covers every form the snapshot reads', () => {
    expect(new Set(forms.map((f) => f.kind))).toEqual(
      new Set(['integer', 'decimal', 'character', 'binaryObject', 'dateTime', 'other']),
    );
  });

  it('are byte for byte the images of the values the cells mean, in whole INIT records', () => {
    const { bytes, ends } = snapshotImagesEncoder(forms)(rows);
    expect(ends).toHaveLength(rows.length);
    rows.forEach((row, i) => {
      const rec = rowRecord(
        { operation: 'INIT', table, before: null, after: cellsOf(row), position: position() },
        { ...ctx, id: i + 1 },
      );
      const images = bytes.subarray(i > 0 ? ends[i - 1] : 0, ends[i]);
      const assembled = encodeWithImages(
        snapshotRecordShell(table, position(), { ...ctx, id: i + 1 }),
        images,
      );
      expect(assembled.equals(encodeRecord(rec))).toBe(true);
      expect(decodeRecord(assembled).afterImages).toEqual(cellsOf(row));
    });
    expect(ends.at(-1)).toBe(bytes.length);
  });

  it('go into records of ids of every length, each record its own buffer', () => {
    const { bytes, ends } = snapshotImagesEncoder(forms)(rows.slice(0, 1));
    const images = bytes.subarray(0, ends[0]);
    const initRecord = createRecordEncoder().encodeInitRecords(
      snapshotRecordShell(table, position(), { ...ctx, id: 0 }),
    );
    const made = [1, 63, 64, 8191, 8192, 2 ** 31, 2 ** 53 - 1].map((id) => {
      const rec = rowRecord(
        { operation: 'INIT', table, before: null, after: cellsOf(rows[0]!), position: position() },
        { ...ctx, id },
      );
      const record = initRecord(id, images);
      expect(record.equals(encodeRecord(rec)), `id ${id}`).toBe(true);
      return record;
    });
    expect(made[0]!.buffer === made[1]!.buffer && made[0]!.byteOffset === made[1]!.byteOffset).toBe(false);
  });

  it('write a table of no columns and a chunk of no rows', () => {
    const none: TableSchema = { ...table, columns: [], primaryKey: [] };
    const { bytes, ends } = snapshotImagesEncoder([])([[]]);
    const rec = rowRecord(
      { operation: 'INIT', table: none, before: null, after: [], position: position() },
      { ...ctx, id: 1 },
    );
    const assembled = encodeWithImages(
      snapshotRecordShell(none, position(), { ...ctx, id: 1 }),
      bytes.subarray(0, ends[0]),
    );
    expect(assembled.equals(encodeRecord(rec))).toBe(true);
    expect(snapshotImagesEncoder(forms)([]).bytes).toHaveLength(0);
  });
});
