// A job's topic folded as it is read, keeping only what checks need: the tables it materializes
// to (keyed by `id`), record counts by operation, INIT records per table and key, and the ids.
import { createMaterializer } from './materialize.ts';
import type { TestEnv } from './testenv.ts';
import { foldTopic } from './topic-reader.ts';
import type { Tally } from './writer.ts';

/** What a topic holds, folded as it is read: the materialized tables and what checks need. */
export async function foldJobTopic(env: TestEnv, topic: string, keyTables: readonly string[]) {
  const materializer = createMaterializer(Object.fromEntries(keyTables.map((t) => [t, ['id']])));
  const byOp: Tally = { INSERT: 0, UPDATE: 0, DELETE: 0 };
  const initByTable = new Map<string, number>();
  const initKeys = new Set<string>();
  let initRecords = 0;
  const ids = new Set<number>();
  let maxId = 0;
  const read = await foldTopic(env.kafka.brokers, topic, (m) => {
    materializer.apply(m);
    const op = m.record.operation;
    if (op === 'INIT') {
      initRecords++;
      initKeys.add(`${m.record.objectName}:${m.key}`);
      initByTable.set(m.record.objectName!, (initByTable.get(m.record.objectName!) ?? 0) + 1);
    } else if (op !== 'DDL') byOp[op as keyof Tally]++;
    const id = Number(m.record.id);
    ids.add(id);
    maxId = Math.max(maxId, id);
  });
  return { tables: materializer.tables, byOp, initByTable, initKeys, initRecords, ids, maxId, read };
}
