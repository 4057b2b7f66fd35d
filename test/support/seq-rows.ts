// Numbers 1..n as a derived table with one column `seq`, for INSERT ... SELECT on any source:
// MariaDB's Sequence engine (seq_1_to_n) does not exist on MySQL.
const DIGITS = `(SELECT 0 AS d ${Array.from({ length: 9 }, (_, i) => `UNION ALL SELECT ${i + 1}`).join(' ')})`;

export function seqRows(n: number): string {
  const places = Math.max(1, Math.ceil(Math.log10(n + 1)));
  const from = Array.from({ length: places }, (_, i) => `${DIGITS} AS p${i}`).join(' CROSS JOIN ');
  const value = Array.from({ length: places }, (_, i) => `p${i}.d * ${10 ** i}`).join(' + ');
  return `(SELECT seq FROM (SELECT ${value} + 1 AS seq FROM ${from}) AS numbers WHERE seq <= ${n}) AS seq_rows`;
}
