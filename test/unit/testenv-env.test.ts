import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseEnvLines } from '../../scripts/lib/testenv-env.ts';

describe('parseEnvLines', () => {
  it('reads export lines as the shell does: empty values, "=", quotes, spaces', () => {
    const text = [
      "export A='1'",
      "export MYSQL_ROOT_PASSWORD=''",
      "export URL='x=y'",
      "export Q='it'\\''s a b'",
      '# comment=1',
      'export PATH=\'/opt/bin\':"$PATH"',
      '',
    ].join('\n');
    const parsed = parseEnvLines(text);
    expect(parsed).toEqual({ A: '1', MYSQL_ROOT_PASSWORD: '', URL: 'x=y', Q: "it's a b" });
    // The same text evaluated by bash gives the same values.
    const fromShell = execFileSync(
      'bash',
      ['-c', `${text}\nprintf '%s|' "$A" "$MYSQL_ROOT_PASSWORD" "$URL" "$Q"`],
      {
        encoding: 'utf8',
      },
    );
    expect(fromShell).toBe(`${Object.values(parsed).join('|')}|`);
  });
});
