// A source workload for correctness tests: random single-row, multi-row and large transactions,
// updates and deletes over some tables, sized by count. It tallies the rows it changed, which is
// what an exactly-once topic must hold, no more.

import type mysql from 'mysql2/promise';
import { type Row, sortedRows } from './materialize.ts';
import { seqRows } from './seq-rows.ts';

/** Source changes the writer made, by operation. */
export type Tally = Record<'INSERT' | 'UPDATE' | 'DELETE', number>;

export interface WriterOptions {
  database: string;
  /** Tables `(id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))` of `database`. */
  tables: readonly string[];
  statements: number;
  /** Tables that hold rows with ids -1..-rows before the writer starts: it updates and deletes them too. */
  seeded?: { tables: readonly string[]; rows: number };
  /** Every this many statements, one 2,000-row transaction (so kills land inside one too). */
  largeEvery?: number;
  /** The first id it inserts (a second writer continues after the first one's). */
  firstId?: number;
}

/**
 * Runs `statements` statements (or fewer, on `stop()`); `done` tells how many ran. Ids it inserts
 * are positive and its own, so seeded rows (negative ids) stay apart in the tally.
 */
export function startWriter(conn: mysql.Connection, opts: WriterOptions) {
  const tally: Tally = { INSERT: 0, UPDATE: 0, DELETE: 0 };
  const { database } = opts;
  const seeded = new Set(opts.seeded?.tables ?? []);
  const seededRows = opts.seeded?.rows ?? 0;
  const largeEvery = opts.largeEvery ?? 400;
  let stopped = false;
  let nextId = opts.firstId ?? 1;
  let done = 0;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;
  const low = (table: string) =>
    seeded.has(table) && Math.random() < 0.7
      ? -Math.floor(Math.random() * seededRows)
      : Math.floor(Math.random() * nextId);
  const loop = (async () => {
    for (let n = 0; !stopped && n < opts.statements; n++, done = n) {
      const table = pick(opts.tables);
      const t = `${database}.${table}`;
      const r = Math.random();
      if (n % largeEvery === largeEvery / 2) {
        const first = nextId;
        nextId += 2000;
        const [res] = await conn.query<mysql.ResultSetHeader>(
          `INSERT INTO ${t} SELECT id, id % 97, CONCAT('bulk-', id) FROM (SELECT seq + ${first - 1} AS id FROM ${seqRows(2000)}) AS ids`,
        );
        tally.INSERT += res.affectedRows;
      } else if (r < 0.5) {
        const rows = 1 + Math.floor(Math.random() * 5);
        const values = Array.from({ length: rows }, () => [
          nextId++,
          Math.floor(Math.random() * 1000),
          `n${n}`,
        ]);
        const [res] = await conn.query<mysql.ResultSetHeader>(`INSERT INTO ${t} VALUES ?`, [values]);
        tally.INSERT += res.affectedRows;
      } else if (r < 0.8) {
        const lo = low(table);
        const [res] = await conn.query<mysql.ResultSetHeader>(
          `UPDATE ${t} SET v = v + 1, note = 'u${n}' WHERE id BETWEEN ? AND ?`,
          [lo, lo + 3],
        );
        tally.UPDATE += res.affectedRows;
      } else {
        const lo = low(table);
        const [res] = await conn.query<mysql.ResultSetHeader>(`DELETE FROM ${t} WHERE id BETWEEN ? AND ?`, [
          lo,
          lo + 2,
        ]);
        tally.DELETE += res.affectedRows;
      }
    }
  })();
  return {
    tally,
    done: () => done,
    /** The id the next insert would use. */
    nextId: () => nextId,
    finished: loop,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** SELECT * of such tables, keyed and sorted as the materializer's tables are (`db.table` → rows). */
export async function sourceTables(
  conn: mysql.Connection,
  database: string,
  tables: readonly string[],
): Promise<Map<string, Row[]>> {
  const expected = new Map<string, Row[]>();
  for (const t of tables) {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT id, v, note FROM ${database}.${t}`);
    const table = new Map(
      rows.map((r) => [
        JSON.stringify([String(r.id)]),
        { id: String(r.id), v: String(r.v), note: r.note as string },
      ]),
    );
    expected.set(`${database}.${t}`, sortedRows(table));
  }
  return expected;
}
