import type { TableMapEntry } from '@vlasky/zongji';
import { describe, expect, it } from 'vitest';
import { snapshotSelectList } from '../../../../src/source/mysql/snapshot-query.ts';
import { parseTimeText } from '../../../../src/source/mysql/temporal-text.ts';
import { carryLostTimeFields, keepRawCells } from '../../../../src/source/mysql/zongji-decoding.ts';
import type { ColumnSpec } from '../../../../src/source/row-change.ts';

const spec = (name: string, typeNumber: number): ColumnSpec => ({
  name,
  typeNumber,
  sqlType: '',
  columnType: '',
  unsigned: false,
  charset: null,
  precision: 0,
  scale: 0,
  nullable: true,
});

describe('keepRawCells', () => {
  it('turns string, TEXT and GEOMETRY columns into charset-less BLOB reads, once', () => {
    const entry = {
      parentSchema: 'db',
      tableName: 't',
      columnSchemas: [],
      columns: [
        { name: 'id', charset: null, type: 3, metadata: {} },
        { name: 'short', charset: 'gbk', type: 254, metadata: { max_length: 10 } },
        { name: 'long', charset: 'utf8mb4', type: 15, metadata: { max_length: 1200 } },
        { name: 'doc', charset: 'latin1', type: 252, metadata: { length_size: 2 } },
        { name: 'raw', charset: null, type: 252, metadata: { length_size: 4 } },
        { name: 'shape', charset: null, type: 255, metadata: { length_size: 4 } },
      ],
    } satisfies TableMapEntry;
    const original = entry.columns[1];
    keepRawCells(entry);
    keepRawCells(entry);
    expect(entry.columns).toEqual([
      { name: 'id', charset: null, type: 3, metadata: {} },
      { name: 'short', charset: null, type: 252, metadata: { length_size: 1 } },
      { name: 'long', charset: null, type: 252, metadata: { length_size: 2 } },
      { name: 'doc', charset: null, type: 252, metadata: { length_size: 2 } },
      { name: 'raw', charset: null, type: 252, metadata: { length_size: 4 } },
      { name: 'shape', charset: null, type: 252, metadata: { length_size: 4 } },
    ]);
    // zongji's own column objects (shared with the TableMap event) are left alone.
    expect(original).toEqual({ name: 'short', charset: 'gbk', type: 254, metadata: { max_length: 10 } });
  });
});

describe('carryLostTimeFields', () => {
  it('puts back the carry zongji loses when negating a TIME', () => {
    const parts = (text: string) => carryLostTimeFields(parseTimeText(text));
    expect(parts('-00:29:64')).toEqual(parseTimeText('-00:30:00'));
    expect(parts('-00:63:64.0')).toEqual(parseTimeText('-01:00:00.0'));
    expect(parts('-838:59:59')).toEqual(parseTimeText('-838:59:59'));
    expect(parts('12:00:00')).toEqual(parseTimeText('12:00:00'));
  });
});

describe('snapshotSelectList', () => {
  it('reads FLOAT as DOUBLE, ENUM/SET as utf8mb4 and quotes names', () => {
    expect(
      snapshotSelectList([spec('id', 3), spec('f`x', 4), spec('e', 247), spec('s', 248), spec('d', 5)]),
    ).toBe(
      '`id`, CAST(`f``x` AS DOUBLE) AS `f``x`, CONVERT(`e` USING utf8mb4) AS `e`, CONVERT(`s` USING utf8mb4) AS `s`, `d`',
    );
  });
});
