// Reads SHOW GRANTS lines into privileges per scope. Only the privilege names and the scope are
// kept: MariaDB prints `IDENTIFIED BY PASSWORD '<hash>'` on the same line, and that must never
// reach a message.

export interface Grant {
  /** Upper-case privilege names; `ALL PRIVILEGES` becomes `ALL`. Column-level grants are dropped. */
  privileges: string[];
  /** `*` for every database, else the database name or LIKE pattern as written. */
  database: string;
  /** `*` for every table of the database. */
  table: string;
}

// Splits on `sep` outside backquotes and parentheses.
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '`') quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && text.startsWith(sep, i)) {
      parts.push(text.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function unquote(name: string): string {
  const n = name.trim();
  return n.startsWith('`') && n.endsWith('`') && n.length >= 2 ? n.slice(1, -1).replace(/``/g, '`') : n;
}

/** Parses one SHOW GRANTS line; undefined for lines that grant no object privileges (roles, proxy). */
export function parseGrant(line: string): Grant | undefined {
  const m = /^GRANT\s+/i.exec(line);
  if (!m) return undefined;
  const [privText, rest] = splitTop(line.slice(m[0].length), ' ON ');
  if (rest === undefined) return undefined; // `GRANT role TO user`
  const [objectText] = splitTop(
    rest.replace(/^(TABLE|FUNCTION|PROCEDURE|PACKAGE BODY|PACKAGE)\s+/i, ''),
    ' TO ',
  );
  if (objectText === undefined || /^(FUNCTION|PROCEDURE|PACKAGE)\s/i.test(rest)) return undefined;
  const [database = '', table = '*'] = splitTop(objectText.trim(), '.');
  const privileges = splitTop(privText ?? '', ',')
    .map((p) => p.trim().toUpperCase())
    .filter((p) => p !== '' && !p.includes('(')) // column grants do not cover whole tables
    .map((p) => (p === 'ALL PRIVILEGES' ? 'ALL' : p));
  if (privileges.length === 0) return undefined;
  return { privileges, database: unquote(database), table: unquote(table) };
}

export const parseGrants = (lines: readonly string[]): Grant[] =>
  lines.map(parseGrant).filter((g): g is Grant => g !== undefined);

// A database in a grant is a LIKE pattern: `_` and `%` are wildcards unless escaped with `\`.
function databaseMatches(pattern: string, database: string): boolean {
  if (pattern === '*') return true;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(database);
}

const has = (g: Grant, privilege: string) => g.privileges.includes(privilege) || g.privileges.includes('ALL');

/** True when `privilege` is granted globally (`*.*`). */
export const hasGlobal = (grants: readonly Grant[], privilege: string): boolean =>
  grants.some((g) => g.database === '*' && has(g, privilege));

/** True when `privilege` covers `database`.`table`; table `*` asks for the whole database. */
export function covers(
  grants: readonly Grant[],
  privilege: string,
  database: string,
  table: string,
): boolean {
  return grants.some(
    (g) =>
      has(g, privilege) &&
      databaseMatches(g.database, database) &&
      (g.table === '*' || (table !== '*' && g.table === table)),
  );
}
