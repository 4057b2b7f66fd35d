// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics, so that of several
// operator replicas exactly one reconciles. The replica named in the Lease renews it every retry
// period; the others read it every retry period and take it over once it has gone unrenewed for the
// lease duration. Every write carries the resourceVersion it was decided on, so two replicas racing
// for the same Lease cannot both win. A leader that cannot renew within the renew deadline (shorter
// than the lease duration) stops leading before anyone else may start; the operator then exits, as a
// controller-runtime manager does.
//
// As in client-go, expiry is measured on the reader's own clock, from the moment it first saw the
// current version of the Lease, not from the renewTime written in it: replicas' clocks need not
// agree, only run at the same rate.

import {
  ApiException,
  CoordinationV1Api,
  type KubeConfig,
  Observable,
  type ObservableMiddleware,
  type V1Lease,
  V1MicroTime,
} from '@kubernetes/client-node';
import type { Logger } from '../log.ts';
import type { Clock } from './work-queue.ts';

/** The fields of a Lease's spec that leader election reads and writes; a `V1LeaseSpec` is one. */
export interface LeaseState {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: Date;
  renewTime?: Date;
  leaseTransitions?: number;
}

/** A Lease's spec as this replica saw it, and when (on this replica's clock) it first saw that version. */
export interface ObservedLease {
  spec: LeaseState;
  observedAt: Date;
}

/** What to do about the Lease now: write `spec` (create it, take it over, renew it), or wait for it. */
export type LeaseDecision =
  | { action: 'create' | 'acquire' | 'renew'; spec: LeaseState }
  | { action: 'wait'; holder: string; expiresAt: Date };

/**
 * Decides, for the replica `me`, what to do about the Lease: create it when there is none, renew it
 * when it names `me`, take it over when it names nobody (released) or its holder let it go unrenewed
 * for its `leaseDurationSeconds` since `observedAt`, and otherwise wait. A change of holder counts a
 * transition.
 */
export function decideLease(
  observed: ObservedLease | null,
  me: string,
  now: Date,
  cfg: { leaseDurationMs: number },
): LeaseDecision {
  const claim = (acquireTime: Date, leaseTransitions: number): LeaseState => ({
    holderIdentity: me,
    leaseDurationSeconds: Math.ceil(cfg.leaseDurationMs / 1000),
    acquireTime,
    renewTime: now,
    leaseTransitions,
  });
  if (observed === null) return { action: 'create', spec: claim(now, 0) };
  const { spec, observedAt } = observed;
  const transitions = spec.leaseTransitions ?? 0;
  if (spec.holderIdentity === me) {
    return { action: 'renew', spec: claim(spec.acquireTime ?? now, transitions) };
  }
  const holder = spec.holderIdentity;
  if (holder) {
    // The holder's own promise, not ours: during a rollout replicas may be configured differently.
    const durationMs = spec.leaseDurationSeconds ? spec.leaseDurationSeconds * 1000 : cfg.leaseDurationMs;
    const expiresAt = new Date(observedAt.getTime() + durationMs);
    if (now.getTime() < expiresAt.getTime()) return { action: 'wait', holder, expiresAt };
  }
  return { action: 'acquire', spec: claim(now, transitions + 1) };
}

/** Reads and writes one Lease; the shell's only side effect, so tests can use an in-memory one. */
export interface LeaseClient {
  /** The Lease, or `null` when there is none. */
  get(namespace: string, name: string): Promise<V1Lease | null>;
  /** Creates the Lease; `'conflict'` when one of that name exists already. */
  create(namespace: string, lease: V1Lease): Promise<V1Lease | 'conflict'>;
  /** Replaces the Lease if `metadata.resourceVersion` is still the stored one; `'conflict'` when not. */
  replace(namespace: string, lease: V1Lease): Promise<V1Lease | 'conflict'>;
}

export interface LeaderElectionOptions {
  client: LeaseClient;
  namespace: string;
  /** The Lease's name. */
  name: string;
  /** This replica's name in the Lease (the pod name); unique among the replicas. */
  identity: string;
  /** How long the others wait for a renewal before taking over. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it stops leading. Default 10 s. */
  renewDeadlineMs?: number;
  /** Time between two tries, for the leader and the others alike. Default 2 s. */
  retryPeriodMs?: number;
  /** Default: the real timers. */
  clock?: Clock;
  logger: Logger;
  /**
   * Called on becoming the leader. The signal aborts when leadership ends; the promise returned, if
   * any, is what `stop()` waits for before releasing the Lease.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /**
   * Called when leadership ends other than through `stop()`: the Lease was not renewed within the
   * renew deadline, or another replica holds it. Another replica may soon lead, so the work must end
   * at once; the operator exits. The election does not start again.
   */
  onStoppedLeading(): void;
}

export interface LeaderElection {
  /** Whether this replica leads: from `onStartedLeading` until leadership ends. */
  isLeader(): boolean;
  /**
   * Ends the election. A leader aborts the signal, keeps renewing until the promise returned by
   * `onStartedLeading` settles, then releases the Lease (holderIdentity cleared, like client-go's
   * ReleaseOnCancel) so another replica takes over at its next try instead of after the lease duration.
   */
  stop(): Promise<void>;
}

// The real timers; tests pass a fake clock instead.
const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export function startLeaderElection(opts: LeaderElectionOptions): LeaderElection {
  const { client, namespace, name, identity, onStartedLeading, onStoppedLeading } = opts;
  const leaseDurationMs = opts.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = opts.retryPeriodMs ?? 2_000;
  const clock = opts.clock ?? systemClock;
  // The leader must give up before anyone may take over, and must get more than one try before that.
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs && retryPeriodMs > 0)) {
    throw new Error(
      `leader election needs leaseDuration > renewDeadline > retryPeriod > 0, got ${leaseDurationMs} ms, ${renewDeadlineMs} ms, ${retryPeriodMs} ms`,
    );
  }
  const log = opts.logger.child({ lease: `${namespace}/${name}`, identity });

  // The newest version of the Lease seen (read or written), and when it was first seen.
  let observed: { lease: V1Lease; at: number } | null = null;
  let leader:
    | { abort: AbortController; work: Promise<void>; renewedAt: number; deadline: unknown }
    | undefined;
  let next: unknown; // the timer of the next try
  let inFlight: Promise<void> | undefined;
  let stopping = false; // stop() was called: never start leading
  let over = false; // leadership was lost, or stop() ended the tries
  let holderLogged: string | undefined;
  let stopped: Promise<void> | undefined;

  const remember = (lease: V1Lease | null) => {
    if (lease === null) observed = null;
    else if (
      observed === null ||
      lease.metadata?.resourceVersion !== observed.lease.metadata?.resourceVersion
    ) {
      observed = { lease, at: clock.now() };
    }
  };

  const armDeadline = () => {
    if (leader === undefined) return;
    clock.clearTimeout(leader.deadline);
    leader.deadline = clock.setTimeout(
      () => lose('Did not renew the lease within the renew deadline'),
      leader.renewedAt + renewDeadlineMs - clock.now(),
    );
  };

  const lose = (message: string, fields: object = {}) => {
    if (leader === undefined) return;
    clock.clearTimeout(leader.deadline);
    leader.abort.abort();
    leader = undefined;
    over = true;
    clock.clearTimeout(next);
    log.error(fields, `${message}; stopped leading`);
    onStoppedLeading();
  };

  const lead = (renewedAt: number, lease: V1Lease) => {
    const abort = new AbortController();
    leader = { abort, renewedAt, deadline: undefined, work: Promise.resolve() };
    armDeadline();
    log.info({ leaseTransitions: lease.spec?.leaseTransitions ?? 0 }, 'Acquired the lease; started leading');
    // An async wrapper turns a synchronous throw into a rejection, logged like any other.
    leader.work = (async () => onStartedLeading(abort.signal))().catch((err: unknown) => {
      log.error({ err }, 'Leader work failed');
    });
  };

  const attempt = async () => {
    let current: V1Lease | null;
    try {
      current = await client.get(namespace, name);
    } catch (err) {
      log.warn({ err }, 'Failed to read the lease');
      return;
    }
    remember(current);
    if (over || (stopping && leader === undefined)) return;
    const now = clock.now();
    const decision = decideLease(
      observed && { spec: observed.lease.spec ?? {}, observedAt: new Date(observed.at) },
      identity,
      new Date(now),
      { leaseDurationMs },
    );
    if (decision.action === 'wait') {
      const { holder, expiresAt } = decision;
      if (leader !== undefined) lose(`Lost the lease to ${holder}`, { holder });
      else if (holder !== holderLogged) {
        holderLogged = holder;
        log.info({ holder, expiresAt: expiresAt.toISOString() }, 'Found the lease held by another replica');
      }
      return;
    }
    // Fields this elector does not manage (preferredHolder, strategy) are kept as they are.
    const body: V1Lease = {
      metadata: current?.metadata ?? { name, namespace },
      spec: { ...current?.spec, ...decision.spec },
    };
    let written: V1Lease | 'conflict';
    try {
      written =
        decision.action === 'create'
          ? await client.create(namespace, body)
          : await client.replace(namespace, body);
    } catch (err) {
      log.warn({ err }, leader === undefined ? 'Failed to acquire the lease' : 'Failed to renew the lease');
      return;
    }
    if (written === 'conflict') {
      // Another replica wrote the Lease after this one read it; the next try reads the new version.
      log.debug('Lost a race to write the lease');
      return;
    }
    remember(written);
    // A write that lands after leadership ended lapses by itself, or stop() releases it.
    if (over) return;
    if (leader !== undefined) {
      leader.renewedAt = now; // the renewTime written: the leader's deadline counts from before the request
      armDeadline();
      log.debug('Renewed the lease');
    } else if (!stopping) lead(now, written);
  };

  const loop = () => {
    inFlight = attempt().finally(() => {
      inFlight = undefined;
      if (!over) next = clock.setTimeout(loop, retryPeriodMs);
    });
  };

  // Like client-go's release: no holder (the others take it at their next try), a one-second duration
  // (so does any reader that ignores the empty holder), the transitions kept.
  const release = async () => {
    const lease = observed?.lease;
    if (lease?.spec?.holderIdentity !== identity) return;
    const now = new Date(clock.now());
    const spec = {
      ...lease.spec,
      holderIdentity: undefined,
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
    };
    try {
      const written = await client.replace(namespace, { metadata: lease.metadata, spec });
      if (written === 'conflict') log.info('Did not release the lease: another replica wrote it meanwhile');
      else log.info('Released the lease');
    } catch (err) {
      log.warn({ err }, 'Failed to release the lease');
    }
  };

  log.info({ leaseDurationMs, renewDeadlineMs, retryPeriodMs }, 'Started leader election');
  loop();

  return {
    isLeader: () => leader !== undefined,

    stop() {
      stopped ??= (async () => {
        stopping = true;
        if (leader !== undefined) {
          leader.abort.abort();
          await leader.work;
        }
        over = true;
        clock.clearTimeout(next);
        // Let a write in flight land, so the release carries the newest resourceVersion.
        await inFlight;
        if (leader !== undefined) {
          clock.clearTimeout(leader.deadline);
          leader = undefined;
        }
        await release();
      })();
      return stopped;
    },
  };
}

/**
 * A LeaseClient over the API server. Each request is cut off after `requestTimeoutMs` (client-go
 * uses half the renew deadline), so one hung connection cannot use up a leader's renew deadline.
 */
export function kubeLeaseClient(kc: KubeConfig, requestTimeoutMs = 5_000): LeaseClient {
  const api = kc.makeApiClient(CoordinationV1Api);
  const timeout: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(AbortSignal.timeout(requestTimeoutMs));
      return new Observable(Promise.resolve(ctx));
    },
    post: (rsp) => new Observable(Promise.resolve(rsp)),
  };
  const options = { middleware: [timeout], middlewareMergeStrategy: 'append' as const };
  const failedWith = (err: unknown, code: number) => err instanceof ApiException && err.code === code;

  return {
    async get(namespace, name) {
      try {
        return withMicroTimes(await api.readNamespacedLease({ namespace, name }, options));
      } catch (err) {
        if (failedWith(err, 404)) return null;
        throw err;
      }
    },
    async create(namespace, lease) {
      try {
        return withMicroTimes(
          await api.createNamespacedLease({ namespace, body: withMicroTimes(lease) }, options),
        );
      } catch (err) {
        if (failedWith(err, 409)) return 'conflict';
        throw err;
      }
    },
    async replace(namespace, lease) {
      const name = lease.metadata?.name ?? '';
      try {
        return withMicroTimes(
          await api.replaceNamespacedLease({ namespace, name, body: withMicroTimes(lease) }, options),
        );
      } catch (err) {
        if (failedWith(err, 409)) return 'conflict';
        throw err;
      }
    },
  };
}

// The API server accepts a MicroTime only with exactly six fractional digits, which a V1MicroTime
// prints and a Date (three) does not; and the generated client returns MicroTime fields as the strings
// it received. Both ways, the times become the V1MicroTime instances the type promises.
function withMicroTimes(lease: V1Lease): V1Lease {
  if (lease.spec === undefined) return lease;
  const micro = (t: Date | undefined) => (t === undefined ? undefined : new V1MicroTime(t));
  return {
    ...lease,
    spec: {
      ...lease.spec,
      acquireTime: micro(lease.spec.acquireTime),
      renewTime: micro(lease.spec.renewTime),
    },
  };
}
