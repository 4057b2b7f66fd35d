// `syncjob run -f job.yaml`: runs one job in the foreground, the same code the worker pod runs.

import { writeFile } from 'node:fs/promises';
import { parseSyncJobManifest } from '../api/v1alpha1/manifest.ts';
import { SyncError } from '../errors.ts';
import { createRootLogger } from '../log.ts';
import { isTerminalReason, TERMINAL_REASONS } from '../reasons.ts';
import { encodeTerminationMessage } from '../termination-message.ts';
import { startHttpServer } from '../worker/http-server.ts';
import { createWorkerMetrics } from '../worker/metrics.ts';
import { createWorkerReport, liveState } from '../worker/report.ts';
import { createSecretResolver, DEFAULT_SECRETS_DIR } from '../worker/secrets.ts';
import { runWorker } from '../worker/worker.ts';
import { parseFlags, positiveInt, readManifestFile } from './args.ts';

const USAGE = `usage: syncjob run -f JOB.yaml [--metrics-port N] [--secrets-dir DIR] [--termination-log FILE]
  -f, --file         the SyncJob manifest
  --metrics-port N   serve /metrics, /healthz, /readyz and /report on N (default: spec.worker.metricsPort)
                     at the address SYNCJOB_LISTEN_HOST (default all interfaces)
  --secrets-dir DIR  where referenced secrets are read as DIR/<name>/<key> (default ${DEFAULT_SECRETS_DIR});
                     an env var SYNCJOB_SECRET_<NAME>_<KEY> takes precedence
  --termination-log FILE  on a terminal error, write its reason, message and fix there as JSON
                     (the worker pod's terminationMessagePath, which the operator reads)`;

export async function runCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      file: { type: 'string', short: 'f' },
      'metrics-port': { type: 'string' },
      'secrets-dir': { type: 'string' },
      'termination-log': { type: 'string' },
    },
    USAGE,
  );
  if (!flags.file) {
    process.stderr.write(`-f is required\n\n${USAGE}\n`);
    return 2;
  }
  const job = parseSyncJobManifest(await readManifestFile(flags.file));
  const log = createRootLogger().child({
    syncJob: `${job.metadata.namespace ?? 'default'}/${job.metadata.name}`,
  });
  const report = createWorkerReport();
  const metrics = createWorkerMetrics({ job: job.metadata.name }, liveState(report));
  const port = positiveInt(flags['metrics-port'], '--metrics-port') ?? job.spec.worker.metricsPort;
  const server = await startHttpServer({
    port,
    host: process.env.SYNCJOB_LISTEN_HOST || undefined,
    registry: metrics.registry,
    report,
  });
  log.info({ port }, 'Serving metrics and health');
  const abort = new AbortController();
  const stop = (signal: string) => {
    log.info({ signal }, 'Received signal; stopping');
    abort.abort();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  try {
    await runWorker({
      job,
      resolveSecret: createSecretResolver({
        dir: flags['secrets-dir'] ?? DEFAULT_SECRETS_DIR,
        env: process.env,
      }),
      metrics,
      report,
      logger: log,
      signal: abort.signal,
    });
    log.info('Stopped');
    return 0;
  } catch (err) {
    if (err instanceof SyncError) {
      log.error({ reason: err.reason, fix: err.fix, err }, `Stopped: ${err.message}`);
      if (flags['termination-log'] && !err.retriable && isTerminalReason(err.reason))
        await writeFile(
          flags['termination-log'],
          encodeTerminationMessage({
            reason: err.reason,
            message: err.message,
            fix: err.fix ?? TERMINAL_REASONS[err.reason].fix,
          }),
        );
      return 1;
    }
    throw err;
  } finally {
    server.close();
  }
}
