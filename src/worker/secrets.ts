// Secret references resolved at run time, never copied into the spec, args, logs or status.
// Two sources, tried in order: an env var `SYNCJOB_SECRET_<NAME>_<KEY>` (upper case, other
// characters as `_`) and a file `<dir>/<name>/<key>`, which is how a Kubernetes Secret volume
// mounted at <dir> appears to the worker pod.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SyncError } from '../errors.ts';

export interface SecretRef {
  name: string;
  key: string;
}

export type SecretResolver = (ref: SecretRef) => Promise<string>;

export const DEFAULT_SECRETS_DIR = '/var/run/secrets/syncjob';

export const secretEnvName = (ref: SecretRef): string =>
  `SYNCJOB_SECRET_${ref.name}_${ref.key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

export function createSecretResolver(opts: { dir: string; env: NodeJS.ProcessEnv }): SecretResolver {
  return async (ref) => {
    const fromEnv = opts.env[secretEnvName(ref)];
    if (fromEnv !== undefined) return fromEnv;
    const file = path.join(opts.dir, ref.name, ref.key);
    try {
      return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
    } catch {
      throw new SyncError(`secret ${ref.name} key ${ref.key} was not found`, {
        retriable: false,
        reason: 'SecretNotFound',
        fix: `set ${secretEnvName(ref)} or provide the file ${file} (a Secret volume mounted at ${opts.dir})`,
      });
    }
  };
}
