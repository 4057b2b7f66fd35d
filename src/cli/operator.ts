// `syncjob operator`: the operator process, in a cluster (in-cluster config) or beside one (KUBECONFIG).
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { createRootLogger } from '../log.ts';
import { startOperator } from '../operator/manager.ts';
import { parseFlags, positiveInt } from './args.ts';

const USAGE = `usage: syncjob operator [--image IMAGE] [--namespace NS] [options]
  --image IMAGE                    worker image when a SyncJob sets none (default: $SYNCJOB_WORKER_IMAGE)
  --namespace NS                   reconcile SyncJobs of NS only (default: all namespaces)
  --metrics-port N                 serve /metrics, /healthz and /readyz on N (default 8080)
  --metrics-address ADDR           the address they listen on (default 0.0.0.0; 127.0.0.1: this host only)
  --concurrent-reconciles N        SyncJobs reconciled at the same time (default 4)
  --leader-election-namespace NS   namespace of the leader Lease (default: $POD_NAMESPACE or default)
  --lease-name NAME                name of the leader Lease (default syncjob-operator)
  --identity ID                    this replica's name in the Lease (default: $POD_NAME or host-pid)
  --precheck-retry-seconds N       re-run a failed precheck this often (default 300)
  --relist-seconds N               queue every SyncJob again this often (default 300)
  --lease-duration-seconds N       leader Lease duration (default 15)`;

export async function operatorCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      image: { type: 'string' },
      namespace: { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-address': { type: 'string' },
      'concurrent-reconciles': { type: 'string' },
      'leader-election-namespace': { type: 'string' },
      'lease-name': { type: 'string' },
      identity: { type: 'string' },
      'precheck-retry-seconds': { type: 'string' },
      'relist-seconds': { type: 'string' },
      'lease-duration-seconds': { type: 'string' },
    },
    USAGE,
  );
  const image = flags.image ?? process.env.SYNCJOB_WORKER_IMAGE;
  if (!image) {
    process.stderr.write(`--image (or SYNCJOB_WORKER_IMAGE) is required\n\n${USAGE}\n`);
    return 2;
  }
  const log = createRootLogger({ name: 'syncjob-operator' });
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const leaseSeconds = positiveInt(flags['lease-duration-seconds'], '--lease-duration-seconds') ?? 15;
  const identity = flags.identity ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`;
  const operator = await startOperator({
    kc,
    ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
    image,
    identity,
    leaseNamespace: flags['leader-election-namespace'] ?? process.env.POD_NAMESPACE ?? 'default',
    leaseName: flags['lease-name'] ?? 'syncjob-operator',
    metricsPort: positiveInt(flags['metrics-port'], '--metrics-port') ?? 8080,
    metricsHost: flags['metrics-address'] ?? '0.0.0.0',
    concurrency: positiveInt(flags['concurrent-reconciles'], '--concurrent-reconciles') ?? 4,
    precheckRetryMs: (positiveInt(flags['precheck-retry-seconds'], '--precheck-retry-seconds') ?? 300) * 1000,
    relistMs: (positiveInt(flags['relist-seconds'], '--relist-seconds') ?? 300) * 1000,
    // client-go's proportions: renew deadline 2/3 and retry period 2/15 of the lease duration.
    leaseDurationMs: leaseSeconds * 1000,
    renewDeadlineMs: Math.round((leaseSeconds * 1000 * 2) / 3),
    retryPeriodMs: Math.round((leaseSeconds * 1000 * 2) / 15),
    logger: log,
  });
  log.info({ identity, port: operator.port, namespace: flags.namespace ?? '(all)' }, 'Started the operator');
  const signal = await Promise.race([
    new Promise<string>((r) => process.once('SIGTERM', () => r('SIGTERM'))),
    new Promise<string>((r) => process.once('SIGINT', () => r('SIGINT'))),
    operator.lostLease.then(() => 'lost-lease'),
  ]);
  log.info(
    { signal },
    signal === 'lost-lease' ? 'Lost the leader Lease; stopping' : 'Received signal; stopping',
  );
  await operator.stop();
  return signal === 'lost-lease' ? 1 : 0;
}
