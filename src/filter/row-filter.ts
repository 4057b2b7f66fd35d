// Row filters (tables[].filter): a condition on a row's columns, the managed service's subset of
// SQL: comparisons (= != <> < > <= >=) and IN of a column with literals, combined with AND, OR and
// parentheses. Parsed into a tree, never passed to the source as text; the same evaluation decides
// for copied rows and for every binlog row, so the two never disagree. Pure.

export type Literal = { kind: 'number'; value: number; text: string } | { kind: 'string'; value: string };

export type FilterExpr =
  | { op: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { op: '=' | '!=' | '<' | '>' | '<=' | '>='; column: string; literal: Literal }
  | { op: 'in'; column: string; literals: Literal[] };

export class FilterSyntaxError extends Error {
  /** 1-based character position in the filter text. */
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.name = 'FilterSyntaxError';
    this.position = position;
  }
}

type Token =
  | { t: 'ident'; v: string; at: number }
  | { t: 'number'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'punct'; v: '(' | ')' | ','; at: number }
  | { t: 'end'; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const at = i + 1;
    if (/\s/.test(c)) i++;
    else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: 'punct', v: c, at });
      i++;
    } else if (/[<>!=]/.test(c)) {
      const two = text.slice(i, i + 2);
      const op = ['<=', '>=', '!=', '<>'].includes(two) ? two : c;
      if (op === '!') throw new FilterSyntaxError("'!' must be followed by '='", at);
      tokens.push({ t: 'op', v: op === '<>' ? '!=' : op, at });
      i += op.length;
    } else if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new FilterSyntaxError('unterminated string', at);
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += text[j++];
      }
      tokens.push({ t: 'string', v: value, at });
      i = j + 1;
    } else if (/[-0-9.]/.test(c)) {
      const m = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i));
      if (!m) throw new FilterSyntaxError(`unexpected '${c}'`, at);
      tokens.push({ t: 'number', v: m[0], at });
      i += m[0].length;
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) throw new FilterSyntaxError('unterminated `identifier`', at);
      tokens.push({ t: 'ident', v: text.slice(i + 1, end), at });
      i = end + 1;
    } else if (/[A-Za-z_$\u0080-\uffff]/.test(c)) {
      const m = /^[A-Za-z0-9_$\u0080-\uffff]+/.exec(text.slice(i))!;
      tokens.push({ t: 'ident', v: m[0], at });
      i += m[0].length;
    } else throw new FilterSyntaxError(`unexpected '${c}'`, at);
  }
  tokens.push({ t: 'end', at: text.length + 1 });
  return tokens;
}

const keyword = (tok: Token, word: string) => tok.t === 'ident' && tok.v.toUpperCase() === word;
const describe = (tok: Token) => (tok.t === 'end' ? 'the end' : `'${tok.v}'`);

/** Parses a filter; throws FilterSyntaxError naming the position of the first error. */
export function parseFilter(text: string): FilterExpr {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos]!;
  const next = () => tokens[pos++]!;

  const literal = (): Literal => {
    const tok = next();
    if (tok.t === 'number') return { kind: 'number', value: Number(tok.v), text: tok.v };
    if (tok.t === 'string') return { kind: 'string', value: tok.v };
    throw new FilterSyntaxError(`expected a number or a 'string', found ${describe(tok)}`, tok.at);
  };

  const primary = (): FilterExpr => {
    const tok = next();
    if (tok.t === 'punct' && tok.v === '(') {
      const inner = or();
      const close = next();
      if (!(close.t === 'punct' && close.v === ')'))
        throw new FilterSyntaxError(`expected ')', found ${describe(close)}`, close.at);
      return inner;
    }
    if (tok.t !== 'ident' || keyword(tok, 'AND') || keyword(tok, 'OR') || keyword(tok, 'IN'))
      throw new FilterSyntaxError(`expected a column name, found ${describe(tok)}`, tok.at);
    const column = tok.v;
    const op = next();
    if (keyword(op, 'IN')) {
      const open = next();
      if (!(open.t === 'punct' && open.v === '('))
        throw new FilterSyntaxError(`expected '(' after IN, found ${describe(open)}`, open.at);
      const literals = [literal()];
      for (;;) {
        const sep = next();
        if (sep.t === 'punct' && sep.v === ')') break;
        if (!(sep.t === 'punct' && sep.v === ','))
          throw new FilterSyntaxError(`expected ',' or ')', found ${describe(sep)}`, sep.at);
        literals.push(literal());
      }
      return { op: 'in', column, literals };
    }
    if (op.t !== 'op')
      throw new FilterSyntaxError(`expected a comparison (= != < > <= >= IN), found ${describe(op)}`, op.at);
    return { op: op.v as '=' | '!=' | '<' | '>' | '<=' | '>=', column, literal: literal() };
  };

  const and = (): FilterExpr => {
    let left = primary();
    while (keyword(peek(), 'AND')) {
      next();
      left = { op: 'and', left, right: primary() };
    }
    return left;
  };

  const or = (): FilterExpr => {
    let left = and();
    while (keyword(peek(), 'OR')) {
      next();
      left = { op: 'or', left, right: and() };
    }
    return left;
  };

  const expr = or();
  const rest = peek();
  if (rest.t !== 'end') throw new FilterSyntaxError(`unexpected ${describe(rest)}`, rest.at);
  return expr;
}

/** Every column a filter reads. */
export function filterColumns(expr: FilterExpr): string[] {
  if ('left' in expr) return [...new Set([...filterColumns(expr.left), ...filterColumns(expr.right)])];
  return [expr.column];
}

/**
 * Compares a cell's text with a literal: numerically when the literal is a number and the cell's
 * text is one, else as strings (code point order, case and trailing spaces significant). NULL
 * matches nothing.
 */
function compare(cell: string, literal: Literal): number | null {
  if (literal.kind === 'number') {
    const n = Number(cell);
    if (cell.trim() !== '' && Number.isFinite(n)) return n < literal.value ? -1 : n > literal.value ? 1 : 0;
    return cell < literal.text ? -1 : cell > literal.text ? 1 : 0;
  }
  return cell < literal.value ? -1 : cell > literal.value ? 1 : 0;
}

/** A filter bound to a table's columns: `cell(i)` gives the text of column `i` of a row (null: NULL). */
export function compileFilter(
  expr: FilterExpr,
  columnIndex: (name: string) => number,
): (cell: (index: number) => string | null) => boolean {
  const build = (e: FilterExpr): ((cell: (index: number) => string | null) => boolean) => {
    if ('left' in e) {
      const [l, r] = [build(e.left), build(e.right)];
      return e.op === 'and' ? (cell) => l(cell) && r(cell) : (cell) => l(cell) || r(cell);
    }
    const index = columnIndex(e.column);
    if ('literals' in e) {
      const literals = e.literals;
      return (cell) => {
        const v = cell(index);
        return v !== null && literals.some((l) => compare(v, l) === 0);
      };
    }
    const { literal, op } = e;
    return (cell) => {
      const v = cell(index);
      if (v === null) return false;
      const c = compare(v, literal)!;
      return op === '='
        ? c === 0
        : op === '!='
          ? c !== 0
          : op === '<'
            ? c < 0
            : op === '>'
              ? c > 0
              : op === '<='
                ? c <= 0
                : c >= 0;
    };
  };
  return build(expr);
}
