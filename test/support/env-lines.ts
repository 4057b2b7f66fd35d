/** Parses the KEY=VALUE lines that `scripts/testenv.sh env` prints. */
export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0 || line.startsWith('#')) continue;
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return env;
}
