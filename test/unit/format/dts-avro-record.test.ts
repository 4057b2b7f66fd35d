import { describe, expect, it } from 'vitest';
import { formatPosition, parsePosition } from '../../../src/format/dts-avro/position.ts';
import { ddlRecord, objectName, pkUkInfo, rowRecord } from '../../../src/format/dts-avro/record.ts';
import { character, integer } from '../../../src/format/dts-avro/values.ts';
import { change, column, position, usersTable } from './dts-avro-fixtures.ts';

const ctx = { id: 12, objectName: 'shop.users', sourceVersion: '8.0.36' };
const row1 = [integer(20, '1'), character('utf8mb4', Buffer.from('a@x.io'))];
const row2 = [integer(20, '1'), character('utf8mb4', Buffer.from('b@x.io'))];

describe('objectName', () => {
  it('joins database and table with a dot', () => {
    expect(objectName('shop', 'users')).toBe('shop.users');
    expect(objectName('shop')).toBe('shop');
    expect(objectName('shop', null)).toBe('shop');
  });

  it('writes a literal dot inside a name as the six characters \\u002E', () => {
    expect(objectName('my.db', 'a.b.c')).toBe('my\\u002Edb.a\\u002Eb\\u002Ec');
    expect(objectName('my.db')).toBe('my\\u002Edb');
    expect(objectName('my.db', 'a.b').length).toBe('my.db.a.b'.length + 2 * 5);
  });
});

describe('pkUkInfo', () => {
  it('lists the primary key first, then unique keys by index name', () => {
    expect(pkUkInfo(usersTable())).toBe('{"PRIMARY":["id"],"uk_email":["email"]}');
    const t = {
      ...usersTable(),
      primaryKey: ['tenant', 'id'],
      uniqueKeys: { uk_b: ['b', 'a'], uk_a: ['a'] },
    };
    expect(JSON.parse(pkUkInfo(t))).toEqual({ PRIMARY: ['tenant', 'id'], uk_b: ['b', 'a'], uk_a: ['a'] });
  });

  it('is {} for a table without keys, and unique keys alone without a primary key', () => {
    expect(pkUkInfo({ ...usersTable(), primaryKey: [], uniqueKeys: {} })).toBe('{}');
    expect(pkUkInfo({ ...usersTable(), primaryKey: [] })).toBe('{"uk_email":["email"]}');
  });

  it('escapes names that need it in JSON', () => {
    const t = { ...usersTable(), primaryKey: ['we"ird'], uniqueKeys: { 'u\\k': ['x'] } };
    expect(JSON.parse(pkUkInfo(t))).toEqual({ PRIMARY: ['we"ird'], 'u\\k': ['x'] });
  });
});

describe('rowRecord', () => {
  it('fills the envelope from the change and the context', () => {
    const rec = rowRecord(change('INSERT', null, row1), ctx);
    expect(rec).toMatchObject({
      version: 1,
      id: 12,
      sourceTimestamp: 1_704_164_645,
      sourcePosition: 'mysql-bin.000003:4711@0-1-42',
      safeSourcePosition: 'mysql-bin.000003:4711@0-1-42',
      sourceTxid: '0-1-42',
      source: { sourceType: 'MySQL', version: '8.0.36' },
      operation: 'INSERT',
      objectName: 'shop.users',
      processTimestamps: null,
      tags: { pk_uk_info: '{"PRIMARY":["id"],"uk_email":["email"]}' },
      fields: [
        { name: 'id', dataTypeNumber: 8 },
        { name: 'email', dataTypeNumber: 253 },
      ],
      bornTimestamp: 1_704_164_645_000,
    });
  });

  it('uses the safe position, born time and an empty GTID when given', () => {
    const rec = rowRecord(
      { ...change('INSERT', null, row1), position: position({ gtid: '' }) },
      { ...ctx, bornTimestamp: 5, safePosition: position({ offset: 4000, gtid: '' }) },
    );
    expect(rec.sourcePosition).toBe('mysql-bin.000003:4711@');
    expect(rec.safeSourcePosition).toBe('mysql-bin.000003:4000@');
    expect(rec.sourceTxid).toBe('');
    expect(rec.bornTimestamp).toBe(5);
  });

  it('carries the images each operation has', () => {
    const pick = (op: 'INSERT' | 'INIT' | 'UPDATE' | 'DELETE') => {
      const rec = rowRecord(
        change(op, op === 'INSERT' || op === 'INIT' ? null : row1, op === 'DELETE' ? null : row2),
        ctx,
      );
      return [rec.operation, rec.beforeImages, rec.afterImages];
    };
    expect(pick('INSERT')).toEqual(['INSERT', null, row2]);
    expect(pick('INIT')).toEqual(['INIT', null, row2]);
    expect(pick('UPDATE')).toEqual(['UPDATE', row1, row2]);
    expect(pick('DELETE')).toEqual(['DELETE', row1, null]);
  });

  it('drops an image the operation does not have', () => {
    expect(rowRecord(change('INSERT', row1, row2), ctx).beforeImages).toBeNull();
    expect(rowRecord(change('DELETE', row1, row2), ctx).afterImages).toBeNull();
  });

  it('refuses a missing or misaligned image', () => {
    expect(() => rowRecord(change('UPDATE', null, row2), ctx)).toThrow(
      /UPDATE on shop.users: before image missing/,
    );
    expect(() => rowRecord(change('INSERT', null, [integer(20, '1')]), ctx)).toThrow(
      /has 1 values for 2 columns/,
    );
  });

  it('computes fields and tags once per table', () => {
    const table = usersTable();
    const a = rowRecord(change('INSERT', null, row1, table), ctx);
    const b = rowRecord(change('DELETE', row1, null, table), ctx);
    expect(b.fields).toBe(a.fields);
    expect(b.tags).toBe(a.tags);
    const other = rowRecord(
      change('INSERT', null, [row1[0]!], { ...table, columns: [column('id', 3)] }),
      ctx,
    );
    expect(other.fields).toEqual([{ name: 'id', dataTypeNumber: 3 }]);
  });
});

describe('ddlRecord', () => {
  it('has no fields, the SQL as afterImages and the escaped object name', () => {
    const rec = ddlRecord(
      { database: 'sh.op', table: 'users', sql: 'ALTER TABLE users ADD c INT', position: position() },
      { id: 3n, sourceVersion: '8.0.36' },
    );
    expect(rec).toMatchObject({
      id: 3n,
      operation: 'DDL',
      objectName: 'sh\\u002Eop.users',
      fields: null,
      beforeImages: null,
      afterImages: 'ALTER TABLE users ADD c INT',
      tags: {},
      sourcePosition: 'mysql-bin.000003:4711@0-1-42',
      sourceTxid: '0-1-42',
    });
  });

  it('names only the database for database-level statements', () => {
    const rec = ddlRecord(
      { database: 'shop', table: null, sql: 'CREATE DATABASE shop', position: position() },
      ctx,
    );
    expect(rec.objectName).toBe('shop');
  });
});

describe('position text', () => {
  it('is file:offset@gtid and parses back, MySQL GTIDs included', () => {
    const mysql = { file: 'binlog.000007', offset: 1290, gtid: '3e11fa47-71ca-11e1-9e33-c80aa9429562:23' };
    expect(formatPosition(mysql)).toBe('binlog.000007:1290@3e11fa47-71ca-11e1-9e33-c80aa9429562:23');
    expect(parsePosition(formatPosition(mysql))).toEqual(mysql);
    expect(parsePosition('mysql-bin.000003:4@')).toEqual({ file: 'mysql-bin.000003', offset: 4, gtid: '' });
  });

  it('refuses text it did not write', () => {
    for (const bad of [
      '',
      'mysql-bin.000003:4',
      'mysql-bin.000003@0-1-2',
      ':4@',
      'f:x@',
      'f:1e3@',
      'f: 4@',
    ]) {
      expect(() => parsePosition(bad), bad).toThrow(/not a binlog position/);
    }
  });
});
