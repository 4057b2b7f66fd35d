import { execFileSync } from 'node:child_process';

/**
 * Parses what `scripts/testenv.sh env` prints: `export KEY='value'` lines (single-quoted, an
 * embedded quote as '\''), so that `eval` in a shell and this parser read the same values.
 * `PATH` is left out: it names the shell's own PATH.
 */
export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^export\s+/, '');
    const eq = line.indexOf('=');
    if (eq <= 0 || line.startsWith('#')) continue;
    const key = line.slice(0, eq).trim();
    if (key === 'PATH') continue;
    env[key] = unquote(line.slice(eq + 1));
  }
  return env;
}

function unquote(value: string): string {
  if (!value.startsWith("'")) return value;
  // 'abc'\''def' → abc'def
  return value
    .split("'\\''")
    .map((part) => part.replace(/^'|'$/g, ''))
    .join("'");
}

/** Runs `scripts/testenv.sh env [services...]` and parses it. */
export function testenvEnv(services: string[] = []): Record<string, string> {
  const script = new URL('../testenv.sh', import.meta.url).pathname;
  return parseEnvLines(execFileSync('bash', [script, 'env', ...services], { encoding: 'utf8' }));
}
