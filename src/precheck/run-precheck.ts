// Runs the source and target halves side by side. Each half stops after a failed connectivity or
// authentication item: everything after it would fail for the same reason and bury the cause.
import type { SyncJob } from '../api/v1alpha1/syncjob-spec.ts';
import { SyncError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SecretResolver } from '../worker/secrets.ts';
import { checkSource } from './source-checks.ts';
import { checkTarget } from './target-checks.ts';
import { failed, type PrecheckItem } from './types.ts';

// A query that breaks midway (a server restart, a privilege the account lacks for a catalog
// table) becomes one Failed item rather than a crash of the whole precheck.
async function guarded(
  side: 'source' | 'target',
  run: () => Promise<PrecheckItem[]>,
): Promise<PrecheckItem[]> {
  try {
    return await run();
  } catch (err) {
    return [
      failed(
        `${side}.error`,
        `the ${side} checks stopped: ${(err as Error).message}`,
        (err instanceof SyncError && err.fix) || 'fix the cause above and run the precheck again',
      ),
    ];
  }
}

export async function runPrecheck(
  job: SyncJob,
  resolveSecret: SecretResolver,
  logger: Logger,
): Promise<PrecheckItem[]> {
  const log = logger.child({ component: 'precheck' });
  const [source, target] = await Promise.all([
    guarded('source', () => checkSource(job, resolveSecret, log.child({ side: 'source' }))),
    guarded('target', () => checkTarget(job, resolveSecret, log.child({ side: 'target' }))),
  ]);
  const items = [...source, ...target];
  for (const item of items) log.info({ item: item.name, result: item.result }, item.message);
  return items;
}

export const precheckFailed = (items: readonly PrecheckItem[]): boolean =>
  items.some((i) => i.result === 'Failed');
