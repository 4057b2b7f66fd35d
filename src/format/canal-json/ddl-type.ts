// The `type` open-source Canal gives a DDL statement (target.canalJson.types: canal): CREATE,
// ALTER, ERASE (DROP TABLE), TRUNCATE, RENAME, CINDEX / DINDEX (CREATE / DROP INDEX), and QUERY
// for any other statement. Pure: read from the statement's leading keywords.

const LEADING_COMMENTS = /^(?:\s+|\/\*[\s\S]*?\*\/|--[^\n]*\n|#[^\n]*\n)*/;

export function canalDdlType(sql: string): string {
  const words = sql
    .replace(LEADING_COMMENTS, '')
    .split(/\s+/, 4)
    .map((w) => w.toUpperCase());
  const [first, ...rest] = words;
  const object = rest.find(
    (w) => !['OR', 'REPLACE', 'UNIQUE', 'FULLTEXT', 'SPATIAL', 'TEMPORARY', 'ONLINE', 'IGNORE'].includes(w),
  );
  switch (first) {
    case 'CREATE':
      return object === 'INDEX' ? 'CINDEX' : 'CREATE';
    case 'ALTER':
      return 'ALTER';
    case 'DROP':
      if (object === 'INDEX') return 'DINDEX';
      return object === 'TABLE' || object === 'TABLES' || object === 'VIEW' ? 'ERASE' : 'QUERY';
    case 'TRUNCATE':
      return 'TRUNCATE';
    case 'RENAME':
      return 'RENAME';
    default:
      return 'QUERY';
  }
}
