// Event sources of the reconciler: SyncJobs, the worker pods the operator owns, and Secrets (a
// changed credential re-runs the precheck of the jobs that reference it). Events only add keys to
// the queue; reconcile reads the objects from these watches' caches (list + watch, as
// controller-runtime's informers), never with a GET per reconcile. A watch that fails restarts
// with backoff, and a periodic relist queues every job in case an event was lost.
import {
  CoreV1Api,
  CustomObjectsApi,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import { GROUP, KIND, VERSION } from '../api/v1alpha1/syncjob-spec.ts';
import type { Logger } from '../log.ts';
import { backoffDelay } from '../worker/backoff.ts';
import { PLURAL, type SyncJobObject } from './kube-api.ts';
import type { WorkQueue } from './work-queue.ts';
import { referencedSecrets } from './worker-pod.ts';

export interface WatchOptions {
  kc: KubeConfig;
  /** Watch one namespace; all when undefined. */
  namespace?: string;
  queue: WorkQueue;
  logger: Logger;
  /** Every job is queued again this often. */
  relistMs: number;
}

export interface Watches {
  /** True once every watch has listed its objects. */
  synced(): boolean;
  /** The SyncJobs as the watch last saw them. */
  jobs(): readonly SyncJobObject[];
  /** One object as the watch last saw it; null when it saw none (or saw it deleted). */
  job(namespace: string, name: string): SyncJobObject | null;
  pod(namespace: string, name: string): V1Pod | null;
  secret(namespace: string, name: string): V1Secret | null;
  stop(): Promise<void>;
}

const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const MANAGED = 'app.kubernetes.io/managed-by=syncjob-operator';

export async function startWatches(opts: WatchOptions): Promise<Watches> {
  const { kc, namespace, queue } = opts;
  const log = opts.logger.child({ component: 'watches' });
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const scope = namespace === undefined ? '' : `/namespaces/${namespace}`;

  const listJobs = () =>
    (namespace === undefined
      ? custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
      : custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace,
        })) as Promise<{
      items: SyncJobObject[];
      metadata: { resourceVersion?: string };
    }>;
  const jobs = makeInformer<SyncJobObject>(kc, `/apis/${GROUP}/${VERSION}${scope}/${PLURAL}`, listJobs);
  const pods = makeInformer<V1Pod>(
    kc,
    `/api/v1${scope}/pods`,
    () =>
      namespace === undefined
        ? core.listPodForAllNamespaces({ labelSelector: MANAGED })
        : core.listNamespacedPod({ namespace, labelSelector: MANAGED }),
    MANAGED,
  );
  const secrets = makeInformer<V1Secret>(kc, `/api/v1${scope}/secrets`, () =>
    namespace === undefined ? core.listSecretForAllNamespaces() : core.listNamespacedSecret({ namespace }),
  );

  jobs.on('change', (job) => queue.add(keyOf(job)));
  pods.on('change', (pod) => {
    const owner = pod.metadata?.ownerReferences?.find((r) => r.kind === KIND && r.controller);
    if (owner) queue.add(`${pod.metadata?.namespace ?? ''}/${owner.name}`);
  });
  secrets.on('change', (secret) => {
    const ns = secret.metadata?.namespace;
    const name = secret.metadata?.name ?? '';
    for (const job of (jobs as ObjectCache<SyncJobObject>).list(ns))
      if (referencedSecrets(job.spec).has(name)) queue.add(keyOf(job));
  });

  let stopped = false;
  const ready = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (fn: () => void, ms: number) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
  };
  const informers: [string, Informer<KubernetesObject>][] = [
    ['syncjobs', jobs as unknown as Informer<KubernetesObject>],
    ['pods', pods as unknown as Informer<KubernetesObject>],
    ['secrets', secrets as unknown as Informer<KubernetesObject>],
  ];
  for (const [what, informer] of informers) {
    let failures = 0;
    informer.on('connect', () => {
      failures = 0;
    });
    informer.on('error', (err: unknown) => {
      // Stopping aborts the watch requests: that is no failure.
      if (stopped) return;
      ready.delete(what);
      failures += 1;
      const delay = backoffDelay(failures, 1_000, 30_000);
      log.warn({ watch: what, err, retryInMs: delay }, 'The watch failed; restarting it');
      later(() => void start(what, informer), delay);
    });
  }
  async function start(what: string, informer: Informer<KubernetesObject>) {
    await informer.start();
    ready.add(what);
  }
  await Promise.all(informers.map(([what, informer]) => start(what, informer)));
  log.info({ namespace: namespace ?? '(all)' }, 'Started watching SyncJobs, worker pods and secrets');

  const relist = () => {
    listJobs().then(
      (list) => {
        for (const job of list.items) queue.add(keyOf(job));
      },
      (err: unknown) => log.warn({ err }, 'The periodic relist of SyncJobs failed'),
    );
    later(relist, opts.relistMs);
  };
  later(relist, opts.relistMs);

  return {
    synced: () => ready.size === informers.length,
    jobs: () => (jobs as ObjectCache<SyncJobObject>).list(),
    job: (ns, name) => (jobs as ObjectCache<SyncJobObject>).get(name, ns) ?? null,
    pod: (ns, name) => (pods as ObjectCache<V1Pod>).get(name, ns) ?? null,
    secret: (ns, name) => (secrets as ObjectCache<V1Secret>).get(name, ns) ?? null,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all(informers.map(([, i]) => i.stop()));
    },
  };
}
