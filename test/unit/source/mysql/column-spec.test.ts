import type { TableMapEvent } from '@vlasky/zongji';
import { describe, expect, it } from 'vitest';
import {
  columnSpecFromInformationSchema,
  columnSpecsFromTableMap,
  type InformationSchemaColumn,
  isJsonValidCheck,
  isSupportedColumn,
  layoutDrift,
} from '../../../../src/source/mysql/column-spec.ts';
import { keysFromStatistics } from '../../../../src/source/mysql/load-table-schema.ts';

function column(overrides: Partial<InformationSchemaColumn>): InformationSchemaColumn {
  return {
    COLUMN_NAME: 'c',
    DATA_TYPE: 'int',
    COLUMN_TYPE: 'int(11)',
    CHARACTER_SET_NAME: null,
    NUMERIC_PRECISION: null,
    NUMERIC_SCALE: null,
    DATETIME_PRECISION: null,
    CHARACTER_MAXIMUM_LENGTH: null,
    IS_NULLABLE: 'YES',
    ...overrides,
  };
}

describe('columnSpecFromInformationSchema', () => {
  it('maps types to DTS numbers with precision, scale and charset', () => {
    expect(
      columnSpecFromInformationSchema(
        column({
          DATA_TYPE: 'bigint',
          COLUMN_TYPE: 'bigint(20) unsigned',
          NUMERIC_PRECISION: 20,
          NUMERIC_SCALE: 0,
        }),
        false,
      ),
    ).toEqual({
      name: 'c',
      typeNumber: 8,
      sqlType: 'bigint',
      columnType: 'bigint(20) unsigned',
      unsigned: true,
      charset: null,
      precision: 20,
      scale: 0,
      nullable: true,
    });
    expect(
      columnSpecFromInformationSchema(
        column({
          DATA_TYPE: 'varbinary',
          COLUMN_TYPE: 'varbinary(10)',
          CHARACTER_MAXIMUM_LENGTH: 10,
          IS_NULLABLE: 'NO',
        }),
        false,
      ),
    ).toMatchObject({ typeNumber: 253, charset: 'binary', precision: 10, nullable: false });
    expect(
      columnSpecFromInformationSchema(
        column({ DATA_TYPE: 'datetime', COLUMN_TYPE: 'datetime(6)', DATETIME_PRECISION: 6 }),
        false,
      ),
    ).toMatchObject({ typeNumber: 12, scale: 6 });
    expect(
      columnSpecFromInformationSchema(
        column({ DATA_TYPE: 'mediumtext', COLUMN_TYPE: 'mediumtext', CHARACTER_SET_NAME: 'gbk' }),
        false,
      ),
    ).toMatchObject({ typeNumber: 250, charset: 'gbk', precision: 16_777_215 });
    expect(
      columnSpecFromInformationSchema(column({ DATA_TYPE: 'year', COLUMN_TYPE: 'year(4) unsigned' }), false),
    ).toMatchObject({ typeNumber: 13, unsigned: false });
  });

  it('makes a MariaDB JSON column (LONGTEXT) JSON', () => {
    const longtext = column({
      DATA_TYPE: 'longtext',
      COLUMN_TYPE: 'longtext',
      CHARACTER_SET_NAME: 'utf8mb4',
    });
    expect(columnSpecFromInformationSchema(longtext, true)).toMatchObject({
      typeNumber: 245,
      sqlType: 'json',
      columnType: 'json',
    });
    expect(columnSpecFromInformationSchema(longtext, false)).toMatchObject({
      typeNumber: 251,
      sqlType: 'longtext',
    });
  });

  it('rejects what DTS cannot carry', () => {
    expect(() =>
      columnSpecFromInformationSchema(column({ DATA_TYPE: 'uuid', COLUMN_TYPE: 'uuid' }), false),
    ).toThrow(/type uuid, which DTS records cannot carry/);
    // MySQL 9's VECTOR, a terminal configuration error naming the column.
    expect(() =>
      columnSpecFromInformationSchema(column({ DATA_TYPE: 'vector', COLUMN_TYPE: 'vector(3)' }), false),
    ).toThrow(expect.objectContaining({ reason: 'InvalidConfiguration', retriable: false }));
    expect(isSupportedColumn('vector', 'vector(3)')).toBe(false);
    expect(isSupportedColumn('geomcollection', 'geomcollection')).toBe(true);
    expect(isSupportedColumn('int', 'int unsigned')).toBe(true);
    expect(() =>
      columnSpecFromInformationSchema(
        column({ DATA_TYPE: 'varchar', COLUMN_TYPE: 'varchar(10) /*M!100301 COMPRESSED*/' }),
        false,
      ),
    ).toThrow(/COMPRESSED/);
  });
});

describe('isJsonValidCheck', () => {
  it('accepts exactly json_valid of the column', () => {
    expect(isJsonValidCheck('doc', 'json_valid(`doc`)')).toBe(true);
    expect(isJsonValidCheck('a`b', 'json_valid(`a``b`)')).toBe(true);
    expect(isJsonValidCheck('doc', 'json_valid(`other`)')).toBe(false);
    expect(isJsonValidCheck('doc', 'json_length(`doc`) < 5')).toBe(false);
  });
});

describe('columnSpecsFromTableMap', () => {
  // A table map as zongji builds it from binlog_row_metadata=FULL (ENUM not yet resolved).
  const event = {
    schemaName: 'db',
    tableName: 't',
    tableId: 7,
    columnCount: 6,
    columnTypes: [8, 18, 15, 252, 254, 255],
    columnsMetadata: [
      undefined,
      { decimals: 3 },
      { max_length: 40 },
      { length_size: 1 },
      { type: 247, size: 1 },
      {
        length_size: 4,
      },
    ],
    tableMap: {
      7: {
        parentSchema: 'db',
        tableName: 't',
        columnSchemas: [
          { COLUMN_NAME: 'id', CHARACTER_SET_NAME: null, COLUMN_TYPE: 'bigint unsigned', UNSIGNED: true },
          { COLUMN_NAME: 'at', CHARACTER_SET_NAME: null, COLUMN_TYPE: 'datetime(3)' },
          { COLUMN_NAME: 'name', CHARACTER_SET_NAME: 'utf8mb4', COLUMN_TYPE: 'varchar(10)' },
          { COLUMN_NAME: 'note', CHARACTER_SET_NAME: 'latin1', COLUMN_TYPE: 'tinytext' },
          { COLUMN_NAME: 'kind', CHARACTER_SET_NAME: 'utf8mb4', COLUMN_TYPE: "enum('a')" },
          { COLUMN_NAME: 'shape', CHARACTER_SET_NAME: null, COLUMN_TYPE: 'point' },
        ],
      },
    },
  } as unknown as TableMapEvent;

  it('maps binlog codes to DTS numbers (DATETIME2 → 12, VARCHAR → 253, BLOB by prefix width)', () => {
    const specs = columnSpecsFromTableMap(event);
    expect(specs.map((s) => [s.name, s.typeNumber, s.sqlType])).toEqual([
      ['id', 8, 'bigint'],
      ['at', 12, 'datetime'],
      ['name', 253, 'varchar'],
      ['note', 249, 'tinytext'],
      ['kind', 247, 'enum'],
      ['shape', 255, 'point'],
    ]);
    expect(specs[0]).toMatchObject({ unsigned: true, precision: 20 });
    expect(specs[1]).toMatchObject({ scale: 3 });
    expect(specs[2]).toMatchObject({ charset: 'utf8mb4', precision: 10, nullable: true });
  });

  it('finds no drift against the same columns, and names every difference', () => {
    const specs = columnSpecsFromTableMap(event);
    expect(layoutDrift(specs, specs)).toEqual([]);
    const json = { ...specs[3]!, typeNumber: 245, sqlType: 'json' };
    expect(
      layoutDrift([...specs.slice(0, 3), { ...json, typeNumber: 245 }, ...specs.slice(4)], specs),
    ).toEqual(['column 4: information_schema has note json (245), the binlog note tinytext (249)']);
    const renamed = [{ ...specs[0]!, name: 'key' }, ...specs.slice(1)];
    expect(layoutDrift(renamed, specs)).toEqual([
      'column 1: information_schema has key bigint unsigned (8), the binlog id bigint unsigned (8)',
    ]);
    expect(layoutDrift(specs.slice(0, 5), specs)).toEqual(['information_schema has 5 columns, the binlog 6']);
  });

  it('lets a MariaDB JSON column be LONGTEXT in the binlog', () => {
    const longtext = { ...columnSpecsFromTableMap(event)[3]!, typeNumber: 251, sqlType: 'longtext' };
    expect(layoutDrift([{ ...longtext, typeNumber: 245, sqlType: 'json' }], [longtext])).toEqual([]);
  });
});

describe('keysFromStatistics', () => {
  it('collects the primary key and unique keys in key-part order, dropping functional keys', () => {
    expect(
      keysFromStatistics([
        { INDEX_NAME: 'PRIMARY', COLUMN_NAME: 'a' },
        { INDEX_NAME: 'PRIMARY', COLUMN_NAME: 'b' },
        { INDEX_NAME: 'uk_email', COLUMN_NAME: 'email' },
        { INDEX_NAME: 'uk_expr', COLUMN_NAME: 'x' },
        { INDEX_NAME: 'uk_expr', COLUMN_NAME: null },
      ]),
    ).toEqual({ primaryKey: ['a', 'b'], uniqueKeys: { uk_email: ['email'] } });
    expect(keysFromStatistics([])).toEqual({ primaryKey: [], uniqueKeys: {} });
  });
});
