import { describe, expect, it } from 'vitest';
import { everyColumnPresent } from '../../../src/source/binlog/row-image.ts';
import { dmlStatementTables } from '../../../src/source/binlog/statement-dml.ts';

const names = (sql: string) =>
  dmlStatementTables(sql, 'shop')?.map((t) => `${t.database}.${t.table}`) ?? null;

describe('dmlStatementTables', () => {
  it('names the table of INSERT, REPLACE and LOAD DATA', () => {
    expect(names('INSERT INTO orders (id) VALUES (1)')).toEqual(['shop.orders']);
    expect(names('insert ignore into `other`.`t``x` VALUES (1)')).toEqual(['other.t`x']);
    expect(names('REPLACE LOW_PRIORITY orders(id) VALUES (1)')).toEqual(['shop.orders']);
    expect(names("LOAD DATA LOCAL INFILE '/tmp/x' INTO TABLE items FIELDS TERMINATED BY ','")).toEqual([
      'shop.items',
    ]);
  });

  it('names every table of a (multi-table) UPDATE or DELETE, over-approximated', () => {
    expect(names('UPDATE orders SET v = 1 WHERE id = 2')).toEqual(['shop.orders']);
    expect(names('UPDATE a.t1 JOIN t2 ON t1.id = t2.id SET t1.v = 1')).toEqual(
      expect.arrayContaining(['a.t1', 'shop.t2']),
    );
    expect(names('DELETE FROM orders WHERE id = 3')).toEqual(['shop.orders']);
    expect(names('/* app */ DELETE QUICK t1 FROM t1 JOIN t2 USING (id) WHERE t2.v = 1')).toEqual([
      'shop.t1',
      'shop.t1',
      'shop.t2',
      'shop.id',
    ]);
  });

  it('is null for statements that are not DML', () => {
    expect(names('BEGIN')).toBeNull();
    expect(names('CREATE TABLE t (id INT)')).toBeNull();
    expect(names('ALTER TABLE orders ADD COLUMN c INT')).toBeNull();
  });
});

describe('everyColumnPresent', () => {
  it('is true only when each column has its bit', () => {
    expect(everyColumnPresent(Buffer.from([0xff, 0x01]), 9)).toBe(true);
    expect(everyColumnPresent(Buffer.from([0xfd, 0x01]), 9)).toBe(false);
    expect(everyColumnPresent(Buffer.from([0x7f]), 7)).toBe(true);
    expect(everyColumnPresent(Buffer.from([0x01]), 3)).toBe(false);
    expect(everyColumnPresent(undefined, 3)).toBe(true);
  });
});
