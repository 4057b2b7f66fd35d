import { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  kubeLeaseClient,
  type LeaderElection,
  type LeaseClient,
  startLeaderElection,
} from '../../../src/operator/leader-election.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

// Two replicas electing a leader on a real Lease, with short timings: lease 3 s, renew deadline 2 s,
// retry 500 ms.
describe('leader election on a real API server', () => {
  const { kube } = testEnv();
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const leases = kc.makeApiClient(CoordinationV1Api);
  const logger = pino({ level: 'silent' });
  let namespace: string;
  let name: string;
  const running: LeaderElection[] = [];

  beforeEach(async () => {
    namespace = uniqueName('leader-election');
    name = uniqueName('syncjob-operator');
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.stop()));
    await core.deleteNamespace({ name: namespace });
  });

  /** A replica whose line to the API server the test can cut, as if its node were partitioned away. */
  const replica = (identity: string) => {
    const real = kubeLeaseClient(kc);
    let cut = false;
    const reach = <T>(call: () => Promise<T>) =>
      cut ? Promise.reject(new Error('connect ECONNREFUSED (cut by the test)')) : call();
    const client: LeaseClient = {
      get: (ns, n) => reach(() => real.get(ns, n)),
      create: (ns, lease) => reach(() => real.create(ns, lease)),
      replace: (ns, lease) => reach(() => real.replace(ns, lease)),
    };
    const times = { started: [] as number[], stopped: [] as number[] };
    const election = startLeaderElection({
      client,
      namespace,
      name,
      identity,
      leaseDurationMs: 3_000,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 500,
      logger,
      onStartedLeading: () => void times.started.push(Date.now()),
      onStoppedLeading: () => void times.stopped.push(Date.now()),
    });
    running.push(election);
    return { election, times, identity, cut: () => (cut = true) };
  };

  const lease = async () => (await leases.readNamespacedLease({ namespace, name })).spec;

  /** Both replicas, the first one leading and the second one having seen its lease. */
  const leaderAndFollower = async () => {
    const first = replica('replica-a');
    await waitFor(() => first.election.isLeader());
    const second = replica('replica-b');
    await sleep(700);
    return [first, second] as const;
  };

  it('lets exactly one of two replicas lead, and the Lease names it', async () => {
    const a = replica('replica-a');
    const b = replica('replica-b');
    await waitFor(() => a.election.isLeader() || b.election.isLeader());
    const before = await lease();
    await sleep(1_500);
    const [leader, follower] = a.election.isLeader() ? [a, b] : [b, a];
    expect(follower.election.isLeader()).toBe(false);
    expect([leader.times.started.length, follower.times.started.length]).toEqual([1, 0]);
    const after = await lease();
    expect(after).toMatchObject({
      holderIdentity: leader.identity,
      leaseDurationSeconds: 3,
      leaseTransitions: 0,
    });
    expect(new Date(after!.renewTime!).getTime()).toBeGreaterThan(new Date(before!.renewTime!).getTime());
  });

  it('hands over before the lease duration when the leader stops and releases the Lease', async () => {
    const [a, b] = await leaderAndFollower();
    expect(b.election.isLeader()).toBe(false);
    await a.election.stop();
    const releasedAt = Date.now();
    await waitFor(() => b.election.isLeader());
    // Without the release b would wait out the 3 s Lease; the exact retry timing is unit-tested
    // with a fake clock, so a loaded machine cannot fail this.
    expect(b.times.started[0]! - releasedAt).toBeLessThan(3_000);
    expect(a.times.stopped).toEqual([]);
    expect(await lease()).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 });
  });

  it('hands over only after the lease duration when the leader is cut off, the old leader stopping first', async () => {
    const [a, b] = await leaderAndFollower();
    a.cut();
    await sleep(200); // a renewal in flight lands
    const lastRenewal = new Date((await lease())!.renewTime!).getTime();
    await waitFor(() => b.election.isLeader());
    const stoppedAt = a.times.stopped[0]!;
    const startedAt = b.times.started[0]!;
    // What holds on any machine, however loaded (the exact deadlines are unit-tested with a fake
    // clock): a stops at its renew deadline (2 s), never earlier, and before b starts: never two
    // leaders; b waits at least the lease duration from the last renewal it saw.
    expect(stoppedAt - lastRenewal).toBeGreaterThanOrEqual(2_000);
    expect(stoppedAt).toBeLessThanOrEqual(startedAt);
    expect(a.election.isLeader()).toBe(false);
    expect(startedAt - lastRenewal).toBeGreaterThanOrEqual(3_000);
    expect(await lease()).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 });
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
