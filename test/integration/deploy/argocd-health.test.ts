// deploy/argocd/health.lua, Argo CD's health check of a SyncJob, run by the Lua 5.1 interpreter
// (Debian's lua5.1; Argo CD runs the script in gopher-lua, a Lua 5.1) on every case of
// deploy/argocd/health_test.yaml, Argo CD's own layout for a customization's tests.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Phase } from '../../../src/operator/conditions.ts';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('../../../deploy/argocd/', import.meta.url));
const { tests } = parse(readFileSync(`${dir}health_test.yaml`, 'utf8')) as {
  tests: { healthStatus: { status: string; message: string }; inputPath: string }[];
};

/** A YAML value as a Lua table constructor (null: absent, as Argo CD's conversion leaves it). */
function lua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string')
    return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(lua).join(', ')}}`;
  return `{${Object.entries(value as object)
    .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
    .join(', ')}}`;
}

async function health(obj: unknown): Promise<{ status: string; message: string }> {
  const script = `obj = ${lua(obj)}\nlocal hs = dofile(${lua(`${dir}health.lua`)})\nio.write(hs.status, "\\n", hs.message)`;
  const { stdout } = await run('lua5.1', ['-e', script]);
  const [status = '', message = ''] = stdout.split('\n');
  return { status, message };
}

describe('the Argo CD health check of a SyncJob', () => {
  it('has a case for every phase the operator writes', () => {
    const phases = tests.map((t) => parse(readFileSync(`${dir}${t.inputPath}`, 'utf8')).status?.phase);
    // Pending is never written: plan sets every condition, so a written status is Prechecking first.
    for (const phase of Object.values(Phase).filter((p) => p !== Phase.Pending))
      expect(phases).toContain(phase);
  });

  it.each(tests.map((t) => [t.inputPath, t]))('%s', async (_, t) => {
    const obj = parse(readFileSync(`${dir}${t.inputPath}`, 'utf8'));
    expect(await health(obj)).toEqual(t.healthStatus);
  });
});
