import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A Python virtualenv with exactly `packages` (pinned, from PyPI), kept under the test services'
 * cache so a second run reuses it; returns its python. A consumer a DTS user runs is tested as is.
 */
export async function pythonWith(name: string, packages: readonly string[]): Promise<string> {
  const dir = path.join(
    process.env.SYNCJOB_CACHE ?? path.join(homedir(), '.cache/syncjob-operator'),
    'python',
    name,
  );
  const python = path.join(dir, 'bin/python');
  const marker = path.join(dir, 'packages.txt');
  const wanted = packages.join('\n');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return python;
  await run('python3', ['-m', 'venv', '--clear', dir]);
  await run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...packages], {
    timeout: 300_000,
  });
  writeFileSync(marker, wanted);
  return python;
}
