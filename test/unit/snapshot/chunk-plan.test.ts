import { describe, expect, it } from 'vitest';
import { TYPE } from '../../../src/source/mysql/column-types.ts';
import type { ColumnSpec, TableSchema } from '../../../src/source/row-change.ts';
import {
  chooseChunkKey,
  chunkQuery,
  cursorAfter,
  fullScanSql,
  planChunkQueries,
  textKeyColumns,
} from '../../../src/source/snapshot/chunk-plan.ts';

function col(name: string, typeNumber: number, extra: Partial<ColumnSpec> = {}): ColumnSpec {
  return {
    name,
    typeNumber,
    sqlType: '',
    columnType: '',
    unsigned: false,
    charset: null,
    precision: 0,
    scale: 0,
    nullable: false,
    ...extra,
  };
}

function table(columns: ColumnSpec[], keys: Partial<Pick<TableSchema, 'primaryKey' | 'uniqueKeys'>>) {
  return { database: 'shop', table: 'orders', columns, primaryKey: [], uniqueKeys: {}, ...keys };
}

const id = col('id', TYPE.INT);
const note = col('note', TYPE.VARCHAR, { charset: 'utf8mb4', nullable: true });

describe('chooseChunkKey', () => {
  it('takes the primary key', () => {
    const t = table([note, id], { primaryKey: ['id'], uniqueKeys: { uk: ['note'] } });
    expect(chooseChunkKey(t)).toEqual({ index: 'PRIMARY', columns: [id], positions: [1] });
  });

  it('without a primary key, takes the first unique key whose columns are all NOT NULL', () => {
    const code = col('code', TYPE.CHAR, { charset: 'latin1' });
    const t = table([id, note, code], { uniqueKeys: { a_nullable: ['id', 'note'], b_code: ['code', 'id'] } });
    expect(chooseChunkKey(t)).toEqual({ index: 'b_code', columns: [code, id], positions: [2, 0] });
  });

  it('finds none when the only unique key has a nullable column, or the table has no key', () => {
    expect(chooseChunkKey(table([id, note], { uniqueKeys: { uk: ['note'] } }))).toBeNull();
    expect(chooseChunkKey(table([id, note], {}))).toBeNull();
  });

  it('skips keys of types that cannot page (their select-list cell does not order like the index)', () => {
    const e = col('e', TYPE.ENUM);
    const f = col('f', TYPE.FLOAT);
    const b = col('b', TYPE.BLOB, { charset: 'binary' });
    const t = table([e, f, b, id], { primaryKey: ['e'], uniqueKeys: { uf: ['f'], ub: ['b'], uid: ['id'] } });
    expect(chooseChunkKey(t)?.index).toBe('uid');
    expect(chooseChunkKey(table([e], { primaryKey: ['e'] }))).toBeNull();
  });
});

describe('chunk SQL', () => {
  it('pages a one-column key with a cast bound value', () => {
    const t = table([id, note], { primaryKey: ['id'] });
    const queries = planChunkQueries(t, chooseChunkKey(t)!, new Map());
    const select = 'SELECT `id`, `note` FROM `shop`.`orders` FORCE INDEX (`PRIMARY`)';
    expect(chunkQuery(queries, null, 100)).toEqual({
      sql: `${select} ORDER BY \`id\` LIMIT ?`,
      values: [100],
    });
    expect(chunkQuery(queries, { key: ['id'], hex: [Buffer.from('-42').toString('hex')] }, 100)).toEqual({
      sql: `${select} WHERE \`id\` > CAST(? AS SIGNED) ORDER BY \`id\` LIMIT ?`,
      values: ['-42', 100],
    });
  });

  it('pages a three-column key with the expanded condition, text in its collation', () => {
    const n = col('n', TYPE.BIGINT, { unsigned: true });
    const name = col('name', TYPE.VARCHAR, { charset: 'utf8mb4' });
    const at = col('at', TYPE.DATETIME, { scale: 6 });
    const f = col('f', TYPE.FLOAT, { nullable: true });
    const t = table([f, n, name, at], { uniqueKeys: { k: ['n', 'name', 'at'] } });
    const key = chooseChunkKey(t)!;
    expect(textKeyColumns(key)).toEqual(['name']);
    const queries = planChunkQueries(t, key, new Map([['name', 'utf8mb4_general_ci']]));
    const name$ = 'CONVERT(UNHEX(?) USING utf8mb4) COLLATE utf8mb4_general_ci';
    const n$ = 'CAST(? AS UNSIGNED)';
    const at$ = 'CAST(? AS DATETIME(6))';
    const cursor = cursorAfter(key, [
      Buffer.from('1.5'),
      Buffer.from('18446744073709551615'),
      Buffer.from('Äb', 'utf8'),
      Buffer.from('2024-02-29 23:59:59.000001'),
    ]);
    expect(cursor).toEqual({
      key: ['n', 'name', 'at'],
      hex: [
        '3138343436373434303733373039353531363135',
        'c38462',
        '323032342d30322d32392032333a35393a35392e303030303031',
      ],
    });
    expect(chunkQuery(queries, JSON.parse(JSON.stringify(cursor)), 10_000)).toEqual({
      sql:
        'SELECT CAST(`f` AS DOUBLE) AS `f`, `n`, `name`, `at` FROM `shop`.`orders` FORCE INDEX (`k`) WHERE ' +
        `\`n\` > ${n$} OR (\`n\` = ${n$} AND \`name\` > ${name$}) ` +
        `OR (\`n\` = ${n$} AND \`name\` = ${name$} AND \`at\` > ${at$}) ORDER BY \`n\`, \`name\`, \`at\` LIMIT ?`,
      values: [
        '18446744073709551615',
        '18446744073709551615',
        'c38462',
        '18446744073709551615',
        'c38462',
        '2024-02-29 23:59:59.000001',
        10_000,
      ],
    });
  });

  it('binds byte strings, decimals and temporals by their type', () => {
    const columns = [
      col('bin', TYPE.CHAR, { charset: 'binary', precision: 4 }),
      col('d', TYPE.DECIMAL, { precision: 20, scale: 4 }),
      col('day', TYPE.DATE),
      col('t', TYPE.TIME, { scale: 2 }),
      col('ts', TYPE.TIMESTAMP, { scale: 3 }),
      col('y', TYPE.YEAR),
    ];
    const t = table(columns, { primaryKey: columns.map((c) => c.name) });
    const { nextSql } = planChunkQueries(t, chooseChunkKey(t)!, new Map());
    const last = nextSql.slice(nextSql.lastIndexOf('(`bin`'));
    expect(last).toBe(
      '(`bin` = UNHEX(?) AND `d` = CAST(? AS DECIMAL(20,4)) AND `day` = CAST(? AS DATE) AND ' +
        '`t` = CAST(? AS TIME(2)) AND `ts` = CAST(? AS DATETIME(3)) AND `y` > CAST(? AS UNSIGNED)) ' +
        'ORDER BY `bin`, `d`, `day`, `t`, `ts`, `y` LIMIT ?',
    );
  });

  it('reads a key-less table in one plain SELECT', () => {
    expect(fullScanSql(table([id, note], {}))).toBe('SELECT `id`, `note` FROM `shop`.`orders`');
  });

  it('refuses a cursor of another key, a value that is not hex, a bad limit or an unknown collation', () => {
    const t = table([id, note], { primaryKey: ['id'] });
    const queries = planChunkQueries(t, chooseChunkKey(t)!, new Map());
    expect(() => chunkQuery(queries, { key: ['note'], hex: ['31'] }, 10)).toThrow(/does not fit/);
    expect(() => chunkQuery(queries, { key: ['id'], hex: ["1'"] }, 10)).toThrow(/not hex/);
    expect(() => chunkQuery(queries, null, 0)).toThrow(/positive integer/);
    const text = table([col('s', TYPE.VARCHAR, { charset: 'latin1' })], { primaryKey: ['s'] });
    expect(() => planChunkQueries(text, chooseChunkKey(text)!, new Map())).toThrow(/no collation/);
    expect(() => planChunkQueries(text, chooseChunkKey(text)!, new Map([['s', 'x; DROP']]))).toThrow(
      /unexpected/,
    );
  });
});
