// `syncjob precheck -f job.yaml`: the checks the operator runs before starting a job, from a
// terminal. Exit 0 when no item Failed (Warnings included), 1 otherwise.
import { parseSyncJobManifest } from '../api/v1alpha1/manifest.ts';
import { createRootLogger } from '../log.ts';
import { precheckFailed, runPrecheck } from '../precheck/run-precheck.ts';
import type { PrecheckItem } from '../precheck/types.ts';
import { createSecretResolver, DEFAULT_SECRETS_DIR } from '../worker/secrets.ts';
import { parseFlags, readManifestFile } from './args.ts';

const USAGE = `usage: syncjob precheck -f JOB.yaml [--secrets-dir DIR] [--json]
  -f, --file         the SyncJob manifest
  --secrets-dir DIR  where referenced secrets are read as DIR/<name>/<key> (default ${DEFAULT_SECRETS_DIR});
                     an env var SYNCJOB_SECRET_<NAME>_<KEY> takes precedence
  --json             print the items as a JSON array`;

/** One block per item: result and name, the message, and the fix when there is one. */
export function renderTable(items: readonly PrecheckItem[]): string {
  const width = Math.max(...items.map((i) => i.name.length), 4);
  const lines = [`${'RESULT'.padEnd(8)} ${'ITEM'.padEnd(width)} MESSAGE`];
  for (const i of items) {
    lines.push(`${i.result.padEnd(8)} ${i.name.padEnd(width)} ${i.message}`);
    if (i.fix) lines.push(`${' '.repeat(9 + width)} fix: ${i.fix}`);
  }
  return lines.join('\n');
}

export async function precheckCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      file: { type: 'string', short: 'f' },
      'secrets-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (!flags.file) {
    process.stderr.write(`-f is required\n\n${USAGE}\n`);
    return 2;
  }
  const job = parseSyncJobManifest(await readManifestFile(flags.file));
  // The logger writes to stdout; the items already carry everything that went wrong, so it stays
  // quiet unless asked for (and always with --json, whose output must parse).
  const log = createRootLogger({
    level: flags.json ? 'silent' : (process.env.SYNCJOB_LOG_LEVEL ?? 'silent'),
  }).child({ syncJob: `${job.metadata.namespace ?? 'default'}/${job.metadata.name}` });
  const items = await runPrecheck(
    job,
    createSecretResolver({ dir: flags['secrets-dir'] ?? DEFAULT_SECRETS_DIR, env: process.env }),
    log,
  );
  process.stdout.write(`${flags.json ? JSON.stringify(items, null, 2) : renderTable(items)}\n`);
  return precheckFailed(items) ? 1 : 0;
}
