import { describe, expect, it } from 'vitest';
import { compileFilter, filterColumns, parseFilter } from '../../../src/filter/row-filter.ts';

const row = (values: Record<string, string | null>) => {
  const names = Object.keys(values);
  return {
    index: (name: string) => names.indexOf(name),
    cell: (i: number) => values[names[i]!] ?? null,
  };
};
const matches = (filter: string, values: Record<string, string | null>) => {
  const r = row(values);
  return compileFilter(parseFilter(filter), r.index)(r.cell);
};

describe('row filters', () => {
  it('compare numbers numerically and strings as text, with AND binding tighter than OR', () => {
    expect(matches('amount >= 100', { amount: '100.5' })).toBe(true);
    expect(matches('amount < 9', { amount: '10' })).toBe(false);
    expect(matches("region = 'eu'", { region: 'eu' })).toBe(true);
    expect(matches("region = 'eu'", { region: 'EU' })).toBe(false);
    expect(matches("region != 'eu' AND amount > 1 OR vip = 1", { region: 'eu', amount: '5', vip: '1' })).toBe(
      true,
    );
    expect(
      matches("region != 'eu' AND (amount > 1 OR vip = 1)", { region: 'eu', amount: '5', vip: '1' }),
    ).toBe(false);
    expect(matches('vip IN (1, 2)', { vip: '2' })).toBe(true);
    expect(matches("name IN ('o''brien', 'x')", { name: "o'brien" })).toBe(true);
    expect(matches('`order` <> 3', { order: '4' })).toBe(true);
  });

  it('never matches NULL', () => {
    expect(matches('a = 1', { a: null })).toBe(false);
    expect(matches('a != 1', { a: null })).toBe(false);
    expect(matches('a IN (1)', { a: null })).toBe(false);
  });

  it('names the position of a syntax error', () => {
    expect(() => parseFilter('a = 1 AND b >')).toThrow(
      "expected a number or a 'string', found the end at position 14",
    );
    expect(() => parseFilter("a = 'x")).toThrow('unterminated string at position 5');
    expect(() => parseFilter('a = 1 b = 2')).toThrow("unexpected 'b' at position 7");
    expect(() => parseFilter('(a = 1')).toThrow("expected ')', found the end at position 7");
    expect(() => parseFilter('a LIKE 1')).toThrow(
      "expected a comparison (= != < > <= >= IN), found 'LIKE' at position 3",
    );
    expect(() => parseFilter('a = 1; DROP TABLE t')).toThrow("unexpected ';' at position 6");
  });

  it('lists the columns it reads', () => {
    expect(filterColumns(parseFilter("a = 1 OR (b IN ('x') AND a > 2)"))).toEqual(['a', 'b']);
  });
});
