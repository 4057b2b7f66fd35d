// Wires the operator: health and metrics endpoints for every replica; on the replica holding the
// Lease, the watches, the work queue and the reconcile workers. Losing the Lease ends the process
// (as controller-runtime does): a replica that cannot renew may already have a successor.
import { createServer, type Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { SyncError } from '../errors.ts';
import { jobKey } from '../job-identity.ts';
import { createKafkaClient } from '../kafka/client.ts';
import type { Logger } from '../log.ts';
import { deleteJobOffset } from '../offsets/kafka-offset-store.ts';
import { runPrecheck } from '../precheck/run-precheck.ts';
import { kafkaConnection } from '../worker/connections.ts';
import { kubeOperatorApi, type OperatorApi } from './kube-api.ts';
import { kubeLeaseClient, startLeaderElection } from './leader-election.ts';
import { createOperatorMetrics } from './metrics.ts';
import { createReconciler } from './reconciler.ts';
import { withSharedConnections } from './shared-connections.ts';
import { startWatches, type Watches } from './watches.ts';
import { createWorkQueue, runWorkers } from './work-queue.ts';
import { httpReportFetcher } from './worker-report-client.ts';

export interface OperatorOptions {
  kc: KubeConfig;
  /** Reconcile SyncJobs of this namespace only; all when undefined. */
  namespace?: string;
  image: string;
  identity: string;
  leaseNamespace: string;
  leaseName: string;
  metricsPort: number;
  /** The address /metrics, /healthz and /readyz listen on (default 0.0.0.0). */
  metricsHost?: string;
  precheckRetryMs: number;
  relistMs?: number;
  /** Reconciles run at the same time (default 4). They never wait on a source: prechecks run apart. */
  concurrency?: number;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger: Logger;
}

export interface RunningOperator {
  /** The port /metrics, /healthz and /readyz are served on. */
  port: number;
  /** Resolves when this replica lost the Lease it held; the process should exit. */
  lostLease: Promise<void>;
  /** Graceful stop: in-flight reconciles finish, the Lease is released. */
  stop(): Promise<void>;
}

const realClock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
};

export async function startOperator(opts: OperatorOptions): Promise<RunningOperator> {
  const log = opts.logger;
  const kc = withSharedConnections(opts.kc);
  const queue = createWorkQueue({ clock: realClock, baseDelayMs: 500, maxDelayMs: 5 * 60_000 });
  const metrics = createOperatorMetrics(
    () => queue.len(),
    () => (leading ? (watches?.jobs() ?? []) : []),
  );
  const direct = kubeOperatorApi(kc);
  // Reads come from the leader's watch caches; writes go to the API server.
  const api: OperatorApi = {
    ...direct,
    getJob: async (ns, name) => (watches ? watches.job(ns, name) : direct.getJob(ns, name)),
    getPod: async (ns, name) => (watches ? watches.pod(ns, name) : direct.getPod(ns, name)),
    getSecret: async (ns, name) => (watches ? watches.secret(ns, name) : direct.getSecret(ns, name)),
  };
  const reconcile = createReconciler({
    api,
    image: opts.image,
    precheckRetryMs: opts.precheckRetryMs,
    runPrecheck: (job, resolveSecret) =>
      runPrecheck(
        job,
        resolveSecret,
        log.child({ syncJob: `${job.metadata.namespace}/${job.metadata.name}` }),
      ),
    fetchReport: httpReportFetcher(),
    async deleteOffsets(job, resolveSecret) {
      const kafka = createKafkaClient({
        ...(await kafkaConnection(job, resolveSecret)),
        clientId: `syncjob-operator-${job.metadata.name}`,
        logger: log.child({ component: 'kafka' }),
      });
      await deleteJobOffset(kafka, job.spec.offsets.topic, Buffer.from(jobKey(job)));
    },
    logger: log,
    requeue: (key) => queue.add(key),
    syncJobs: () => watches?.jobs() ?? [],
  });
  const timed = async (key: string) => {
    const end = metrics.reconcileSeconds.startTimer();
    try {
      const result = await reconcile(key);
      metrics.reconciles.inc({ result: result?.requeueAfterMs === undefined ? 'success' : 'requeue' });
      return result;
    } finally {
      end();
    }
  };

  let watches: Watches | undefined;
  let workers: Promise<void> | undefined;
  let leading = false;
  const server = await serve(opts, metrics.registry, () => !leading || (watches?.synced() ?? false));

  let lost: () => void = () => undefined;
  const lostLease = new Promise<void>((resolve) => {
    lost = resolve;
  });
  const election = startLeaderElection({
    client: kubeLeaseClient(kc),
    namespace: opts.leaseNamespace,
    name: opts.leaseName,
    identity: opts.identity,
    ...(opts.leaseDurationMs === undefined ? {} : { leaseDurationMs: opts.leaseDurationMs }),
    ...(opts.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: opts.renewDeadlineMs }),
    ...(opts.retryPeriodMs === undefined ? {} : { retryPeriodMs: opts.retryPeriodMs }),
    logger: log,
    async onStartedLeading() {
      leading = true;
      metrics.leader.set(1);
      watches = await startWatches({
        kc,
        ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
        queue,
        logger: log,
        relistMs: opts.relistMs ?? 5 * 60_000,
      });
      workers = runWorkers(queue, opts.concurrency ?? 4, timed, (key, err, retriable) => {
        // A write against a cache that had not seen the operator's own last write yet: the watch
        // event of that write queues the job again, with the object as it is now.
        if (err instanceof SyncError && err.reason === 'Conflict') {
          metrics.reconciles.inc({ result: 'conflict' });
          log.debug({ syncJob: key, err: err.message }, 'Reconcile met a newer object; queued again');
          return;
        }
        metrics.reconciles.inc({ result: retriable ? 'error' : 'terminal' });
        log.warn({ syncJob: key, err, retriable }, 'Reconcile failed');
      });
    },
    onStoppedLeading() {
      metrics.leader.set(0);
      if (leading) lost();
      leading = false;
    },
  });

  return {
    port: (server.address() as { port: number }).port,
    lostLease,
    async stop() {
      queue.shutDown();
      await watches?.stop();
      await workers;
      await election.stop();
      await new Promise((r) => server.close(r));
      log.info({ identity: opts.identity }, 'Stopped the operator');
    },
  };
}

function serve(
  opts: OperatorOptions,
  registry: ReturnType<typeof createOperatorMetrics>['registry'],
  ready: () => boolean,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
      return;
    }
    const ok = req.url === '/healthz' || (req.url === '/readyz' && ready());
    res.writeHead(req.url === '/healthz' || req.url === '/readyz' ? (ok ? 200 : 503) : 404, {
      'content-type': 'text/plain',
    });
    res.end(ok ? 'ok\n' : '');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.metricsPort, opts.metricsHost ?? '0.0.0.0', () => resolve(server));
  });
}
