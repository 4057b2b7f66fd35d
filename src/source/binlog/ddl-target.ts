// Which tables a DDL statement touches. The binlog's Query event names only the session's default
// database, so the statement itself says which table an `ALTER TABLE other_db.t` changes. Covers
// the statements that change a synced table's existence or name; anything else is `other`.

export interface TableRef {
  database: string;
  table: string;
}

export type DdlTarget =
  | { kind: 'create' | 'alter' | 'drop' | 'truncate'; tables: TableRef[] }
  | { kind: 'rename'; renames: { from: TableRef; to: TableRef }[] }
  | { kind: 'database'; database: string }
  | { kind: 'other' };

// An identifier: `back-quoted` (with `` doubled) or bare.
const IDENT = '(?:`(?:[^`]|``)+`|[A-Za-z0-9_$\\u0080-\\uFFFF]+)';
const NAME = `(${IDENT})(?:\\s*\\.\\s*(${IDENT}))?`;
const COMMENTS = /\/\*(?!!)[\s\S]*?\*\/|(?:--\s|#)[^\n]*/g;

const unquote = (id: string): string => (id.startsWith('`') ? id.slice(1, -1).replaceAll('``', '`') : id);

function ref(first: string, second: string | undefined, defaultDb: string): TableRef {
  return second === undefined
    ? { database: defaultDb, table: unquote(first) }
    : { database: unquote(first), table: unquote(second) };
}

/** Every `name` or `db.name` in the text, as table references. */
export function refList(text: string, defaultDb: string): TableRef[] {
  const out: TableRef[] = [];
  for (const m of text.matchAll(new RegExp(NAME, 'g'))) out.push(ref(m[1]!, m[2], defaultDb));
  return out;
}

/** The statement without comments (but for /*! executable ones) and surrounding space. */
export const withoutComments = (sql: string): string => sql.replace(COMMENTS, ' ').trim();

export function ddlTarget(sql: string, defaultDb: string): DdlTarget {
  const text = withoutComments(sql);
  let m = /^RENAME\s+TABLES?\s+(.+)$/is.exec(text);
  if (m) {
    const renames = m[1]!.split(',').map((pair) => {
      const p = new RegExp(`^\\s*${NAME}\\s+TO\\s+${NAME}\\s*$`, 'is').exec(pair);
      return p ? { from: ref(p[1]!, p[2], defaultDb), to: ref(p[3]!, p[4], defaultDb) } : null;
    });
    return renames.every((r) => r !== null) ? { kind: 'rename', renames } : { kind: 'other' };
  }
  m = new RegExp(
    `^ALTER\\s+(?:ONLINE\\s+|IGNORE\\s+)*TABLE\\s+(?:IF\\s+EXISTS\\s+)?${NAME}([\\s\\S]*)$`,
    'i',
  ).exec(text);
  if (m) {
    const table = ref(m[1]!, m[2], defaultDb);
    const renamed = new RegExp(`\\bRENAME\\s+(?:TO\\s+|AS\\s+)?${NAME}\\s*(?:,|$)`, 'i').exec(m[3]!);
    if (renamed && !/^\s*RENAME\s+(?:COLUMN|INDEX|KEY)\b/i.test(m[3]!)) {
      return { kind: 'rename', renames: [{ from: table, to: ref(renamed[1]!, renamed[2], table.database) }] };
    }
    return { kind: 'alter', tables: [table] };
  }
  m = new RegExp(
    `^CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:TEMPORARY\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${NAME}`,
    'i',
  ).exec(text);
  if (m)
    return /^CREATE\s+(?:OR\s+REPLACE\s+)?TEMPORARY/i.test(text)
      ? { kind: 'other' }
      : { kind: 'create', tables: [ref(m[1]!, m[2], defaultDb)] };
  m =
    /^DROP\s+(?:TEMPORARY\s+)?TABLES?\s+(?:IF\s+EXISTS\s+)?([\s\S]+?)(?:\s+(?:RESTRICT|CASCADE))?\s*$/i.exec(
      text,
    );
  if (m) {
    if (/^DROP\s+TEMPORARY/i.test(text)) return { kind: 'other' };
    return { kind: 'drop', tables: refList(m[1]!.replace(/\/\*.*?\*\//g, ''), defaultDb) };
  }
  m = new RegExp(`^TRUNCATE\\s+(?:TABLE\\s+)?${NAME}`, 'i').exec(text);
  if (m) return { kind: 'truncate', tables: [ref(m[1]!, m[2], defaultDb)] };
  m = new RegExp(
    `^(?:CREATE|DROP|ALTER)\\s+(?:DATABASE|SCHEMA)\\s+(?:IF\\s+(?:NOT\\s+)?EXISTS\\s+)?(${IDENT})`,
    'i',
  ).exec(text);
  if (m) return { kind: 'database', database: unquote(m[1]!) };
  return { kind: 'other' };
}
