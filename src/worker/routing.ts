// Which source tables a job syncs and where each goes: the Kafka object name (after rename), the
// topic and the DML filter. Pure; built once per job from spec.objects.
import { objectName } from '../format/dts-avro/record.ts';

export interface DmlFilter {
  insert: boolean;
  update: boolean;
  delete: boolean;
}

export interface TableSelector {
  name: string;
  targetName?: string;
  topic?: string;
  dml?: Partial<DmlFilter>;
  partitionKey?: readonly string[];
  filter?: string;
}

export interface ObjectSelector {
  database: string;
  targetName?: string;
  tables?: TableSelector[];
}

export interface TableRoute {
  targetDatabase: string;
  targetTable: string;
  /** `targetDatabase.targetTable` as written to Kafka. */
  objectName: string;
  topic: string;
  dml: DmlFilter;
  /** Columns that choose the partition instead of the record key (tables[].partitionKey). */
  partitionKey?: readonly string[];
  /** tables[].filter, as written (validated when the manifest was read). */
  filter?: string;
}

export interface Routing {
  /** zongji's includeSchema: a database without a table list means all its tables, current and future. */
  includeSchema: Record<string, string[] | true>;
  /** Every topic the job writes to. */
  topics: string[];
  route(database: string, table: string): TableRoute | null;
  /** Whether the table is named in spec.objects (not only part of a whole selected database). */
  listed(database: string, table: string): boolean;
  /** The name a selected database is written under, or null when the database is not selected. */
  targetDatabase(database: string): string | null;
}

const ALL_DML: DmlFilter = { insert: true, update: true, delete: true };

export function planRouting(objects: readonly ObjectSelector[], defaultTopic: string): Routing {
  const explicit = new Map<string, TableRoute>();
  const wholeDatabases = new Map<string, string>();
  const includeSchema: Record<string, string[] | true> = {};
  const topics = new Set([defaultTopic]);
  const targetDbs = new Map<string, string>();

  for (const obj of objects) {
    const targetDb = obj.targetName ?? obj.database;
    targetDbs.set(obj.database, targetDb);
    if (!obj.tables || obj.tables.length === 0) {
      wholeDatabases.set(obj.database, targetDb);
      includeSchema[obj.database] = true;
      continue;
    }
    const names: string[] = [];
    for (const sel of obj.tables) {
      names.push(sel.name);
      const topic = sel.topic ?? defaultTopic;
      topics.add(topic);
      const targetTable = sel.targetName ?? sel.name;
      explicit.set(`${obj.database}\u0000${sel.name}`, {
        targetDatabase: targetDb,
        targetTable,
        objectName: objectName(targetDb, targetTable),
        topic,
        dml: { ...ALL_DML, ...sel.dml },
        ...(sel.partitionKey ? { partitionKey: sel.partitionKey } : {}),
        ...(sel.filter ? { filter: sel.filter } : {}),
      });
    }
    includeSchema[obj.database] = names;
  }

  // Routes of whole-database tables are made on first sight and kept: the set of tables is open.
  const discovered = new Map<string, TableRoute>();
  return {
    includeSchema,
    topics: [...topics],
    route(database, table) {
      const key = `${database}\u0000${table}`;
      const known = explicit.get(key) ?? discovered.get(key);
      if (known) return known;
      const targetDb = wholeDatabases.get(database);
      if (targetDb === undefined) return null;
      const route = {
        targetDatabase: targetDb,
        targetTable: table,
        objectName: objectName(targetDb, table),
        topic: defaultTopic,
        dml: ALL_DML,
      };
      discovered.set(key, route);
      return route;
    },
    listed: (database, table) => explicit.has(`${database}\u0000${table}`),
    targetDatabase(database) {
      if (wholeDatabases.has(database)) return wholeDatabases.get(database)!;
      return database in includeSchema ? (targetDbs.get(database) ?? database) : null;
    },
  };
}
