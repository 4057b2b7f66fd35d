import type { V1Lease } from '@kubernetes/client-node';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  decideLease,
  type LeaderElectionOptions,
  type LeaseClient,
  type LeaseState,
  startLeaderElection,
} from '../../../src/operator/leader-election.ts';
import type { Clock } from '../../../src/operator/work-queue.ts';

const t = (ms: number) => new Date(Date.UTC(2026, 10, 24, 2) + ms);
const cfg = { leaseDurationMs: 15_000 };

describe('decideLease', () => {
  const held = (spec: LeaseState, observedAtMs = 0) => ({ spec, observedAt: t(observedAtMs) });
  const mine = {
    holderIdentity: 'me',
    leaseDurationSeconds: 15,
    acquireTime: t(-60_000),
    leaseTransitions: 4,
  };
  /** What `me` writes when it takes the lease at 20 s. */
  const claimed = (leaseTransitions: number) => ({
    holderIdentity: 'me',
    leaseDurationSeconds: 15,
    acquireTime: t(20_000),
    renewTime: t(20_000),
    leaseTransitions,
  });

  it.each([
    {
      name: 'creates an absent lease, naming itself, with no transition',
      observed: null,
      decision: { action: 'create', spec: claimed(0) },
    },
    {
      name: 'acquires a lease without holder, counting a transition',
      observed: held({ leaseTransitions: 2 }, 19_000),
      decision: { action: 'acquire', spec: claimed(3) },
    },
    {
      name: 'acquires a released lease at once',
      observed: held({ leaseDurationSeconds: 1, renewTime: t(19_999), leaseTransitions: 2 }, 19_999),
      decision: { action: 'acquire', spec: claimed(3) },
    },
    {
      name: 'acquires a lease its holder left unrenewed for its duration',
      observed: held(
        { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: t(5_000), leaseTransitions: 2 },
        5_000,
      ),
      decision: { action: 'acquire', spec: claimed(3) },
    },
    {
      name: 'waits for a lease another holds, until its duration after it was seen',
      observed: held({ holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: t(5_000) }, 5_001),
      decision: { action: 'wait', holder: 'other', expiresAt: t(20_001) },
    },
    {
      name: "measures expiry from when it was seen, not from the holder's (skewed) renewTime",
      observed: held({ holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: t(-3_600_000) }, 10_000),
      decision: { action: 'wait', holder: 'other', expiresAt: t(25_000) },
    },
    {
      name: "uses the holder's lease duration, not its own",
      observed: held({ holderIdentity: 'other', leaseDurationSeconds: 30, renewTime: t(0) }),
      decision: { action: 'wait', holder: 'other', expiresAt: t(30_000) },
    },
    {
      name: 'renews its own lease, keeping acquireTime and transitions',
      observed: held({ ...mine, renewTime: t(18_000) }, 18_000),
      decision: { action: 'renew', spec: { ...mine, renewTime: t(20_000) } },
    },
    {
      name: 'renews its own lease even past its duration (the shell stops leading before that)',
      observed: held({ ...mine, renewTime: t(0) }),
      decision: { action: 'renew', spec: { ...mine, renewTime: t(20_000) } },
    },
  ] as const)('$name', ({ observed, decision }) => {
    expect(decideLease(observed, 'me', t(20_000), cfg)).toEqual(decision);
  });

  it('writes the lease duration in whole seconds, rounded up', () => {
    const decision = decideLease(null, 'me', t(0), { leaseDurationMs: 2_500 });
    expect(decision).toMatchObject({ spec: { leaseDurationSeconds: 3 } });
  });
});

/** Timers fire in due order during `advance`, which lets the electors' awaits run after each one. */
function fakeClock() {
  let now = Date.UTC(2026, 10, 24, 2);
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout(fn, ms) {
      timers.set(nextId, { at: now + ms, fn });
      return nextId++;
    },
    clearTimeout: (handle) => timers.delete(handle as number),
  };
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    clock,
    start: now,
    async advance(ms: number) {
      const until = now + ms;
      await settle();
      for (;;) {
        const due = [...timers].filter(([, timer]) => timer.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
        await settle();
      }
      now = until;
    },
  };
}

/**
 * One Lease in memory, with the API server's optimistic concurrency. Each replica connects on its
 * own line, which the test can cut (every call fails) and restore.
 */
function fakeApiServer() {
  let stored: V1Lease | null = null;
  let version = 0;
  const store = (lease: V1Lease) => {
    version++;
    stored = structuredClone({ ...lease, metadata: { ...lease.metadata, resourceVersion: String(version) } });
    return structuredClone(stored);
  };
  const server = {
    lease: () => stored,
    /** Runs just before every write is applied: lets a test slip another writer in between read and write. */
    beforeWrite: undefined as (() => void) | undefined,
    /** A write from outside the election (a person, another writer). */
    write: (edit: (lease: V1Lease) => V1Lease) => store(edit(structuredClone(stored!))),
    connect() {
      const line = { cut: false, calls: 0 };
      const reach = () => {
        line.calls++;
        if (line.cut) throw new Error('connect ECONNREFUSED');
      };
      const client: LeaseClient = {
        async get() {
          reach();
          return structuredClone(stored);
        },
        async create(_namespace, lease) {
          reach();
          server.beforeWrite?.();
          return stored === null ? store(lease) : 'conflict';
        },
        async replace(_namespace, lease) {
          reach();
          server.beforeWrite?.();
          if (stored === null) throw new Error('leases "lock" not found');
          return stored.metadata?.resourceVersion === lease.metadata?.resourceVersion
            ? store(lease)
            : 'conflict';
        },
      };
      return { client, line };
    },
  };
  return server;
}

describe('startLeaderElection', () => {
  const setup = () => ({ time: fakeClock(), server: fakeApiServer() });

  /** An elector with client-go's default timings (15 s, 10 s, 2 s), and a record of its callbacks. */
  const elector = (
    env: ReturnType<typeof setup>,
    identity: string,
    o: Partial<LeaderElectionOptions> & { logs?: unknown[] } = {},
  ) => {
    const { client, line } = env.server.connect();
    const events: { event: 'started' | 'stopped'; at: number }[] = [];
    let signal: AbortSignal | undefined;
    const logger = pino(
      { level: 'debug', base: undefined },
      { write: (l: string) => o.logs?.push(JSON.parse(l)) },
    );
    const election = startLeaderElection({
      client,
      namespace: 'ns',
      name: 'lock',
      identity,
      clock: env.time.clock,
      logger,
      onStartedLeading(s) {
        signal = s;
        events.push({ event: 'started', at: env.time.clock.now() - env.time.start });
      },
      onStoppedLeading() {
        events.push({ event: 'stopped', at: env.time.clock.now() - env.time.start });
      },
      ...o,
    });
    return { election, line, events, signal: () => signal };
  };

  it('creates an absent lease naming itself and starts leading, logging the lease and identity', async () => {
    const env = setup();
    const logs: unknown[] = [];
    const a = elector(env, 'a', { logs });
    await env.time.advance(0);
    expect(a.election.isLeader()).toBe(true);
    expect(a.events).toEqual([{ event: 'started', at: 0 }]);
    expect(env.server.lease()).toMatchObject({
      metadata: { name: 'lock', namespace: 'ns', resourceVersion: '1' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0, renewTime: t(0) },
    });
    expect(logs).toContainEqual(
      expect.objectContaining({
        lease: 'ns/lock',
        identity: 'a',
        msg: 'Acquired the lease; started leading',
      }),
    );
  });

  it('renews every retry period while leading', async () => {
    const env = setup();
    const a = elector(env, 'a');
    await env.time.advance(4_000);
    expect(env.server.lease()?.spec?.renewTime).toEqual(t(4_000));
    expect(env.server.lease()?.spec?.acquireTime).toEqual(t(0));
    expect(a.events).toEqual([{ event: 'started', at: 0 }]);
  });

  it('lets exactly one of two replicas create the lease; the other loses the race and waits', async () => {
    const env = setup();
    const a = elector(env, 'a');
    const b = elector(env, 'b');
    await env.time.advance(60_000);
    expect([a.election.isLeader(), b.election.isLeader()]).toEqual([true, false]);
    expect(b.events).toEqual([]);
    expect(env.server.lease()?.spec).toMatchObject({ holderIdentity: 'a', leaseTransitions: 0 });
  });

  it('hands over after the lease expires: the old leader stops at its renew deadline, the other starts after the lease duration', async () => {
    const env = setup();
    const a = elector(env, 'a');
    await env.time.advance(0);
    const b = elector(env, 'b'); // first sees a's lease at 0
    a.line.cut = true; // a's last renewal was at 0
    await env.time.advance(9_999);
    expect(a.election.isLeader()).toBe(true);
    await env.time.advance(1);
    expect(a.election.isLeader()).toBe(false);
    expect(a.signal()?.aborted).toBe(true);
    expect(a.events).toEqual([
      { event: 'started', at: 0 },
      { event: 'stopped', at: 10_000 },
    ]);
    await env.time.advance(4_999);
    expect(b.election.isLeader()).toBe(false);
    await env.time.advance(2_001); // b's next try after the 15 s
    expect(b.events).toEqual([{ event: 'started', at: 16_000 }]);
    expect(env.server.lease()?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('keeps leading through failed renewals shorter than the renew deadline', async () => {
    const env = setup();
    const a = elector(env, 'a');
    await env.time.advance(0);
    a.line.cut = true;
    await env.time.advance(7_000); // the tries at 2, 4 and 6 s fail; the one at 8 s renews
    a.line.cut = false;
    await env.time.advance(60_000);
    expect(a.election.isLeader()).toBe(true);
    expect(a.events).toEqual([{ event: 'started', at: 0 }]);
  });

  it('stops leading past the renew deadline, calls onStoppedLeading once, and tries no more', async () => {
    const env = setup();
    const a = elector(env, 'a');
    await env.time.advance(6_000); // renewed at 6 s
    a.line.cut = true;
    await env.time.advance(10_000);
    expect(a.events).toEqual([
      { event: 'started', at: 0 },
      { event: 'stopped', at: 16_000 },
    ]);
    const calls = a.line.calls;
    a.line.cut = false;
    await env.time.advance(60_000);
    expect(a.line.calls).toBe(calls);
    expect(a.election.isLeader()).toBe(false);
  });

  it('stops leading at once when another replica holds the lease', async () => {
    const env = setup();
    const a = elector(env, 'a');
    await env.time.advance(0);
    env.server.write((l) => ({ ...l, spec: { ...l.spec, holderIdentity: 'intruder' } }));
    await env.time.advance(2_000);
    expect(a.events).toEqual([
      { event: 'started', at: 0 },
      { event: 'stopped', at: 2_000 },
    ]);
  });

  it('releases the lease on stop, so another replica takes over at its next try', async () => {
    const env = setup();
    const a = elector(env, 'a');
    await env.time.advance(0);
    const b = elector(env, 'b');
    await env.time.advance(5_000);
    await a.election.stop();
    expect(a.signal()?.aborted).toBe(true);
    expect(a.events).toEqual([{ event: 'started', at: 0 }]); // stop() is not a loss
    expect(env.server.lease()?.spec).toMatchObject({ leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(env.server.lease()?.spec?.holderIdentity).toBeUndefined();
    await env.time.advance(2_000);
    expect(b.events).toEqual([{ event: 'started', at: 6_000 }]);
    expect(env.server.lease()?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    await b.election.stop();
  });

  it("keeps renewing until the leader's work has returned, then releases", async () => {
    const env = setup();
    const a = elector(env, 'a', {
      // Work that takes 12 s to wind down, longer than the renew deadline.
      onStartedLeading: (signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => env.time.clock.setTimeout(resolve, 12_000)),
        ),
    });
    await env.time.advance(0);
    const stopped = a.election.stop();
    await env.time.advance(11_999);
    expect(a.election.isLeader()).toBe(true);
    expect(env.server.lease()?.spec).toMatchObject({ holderIdentity: 'a', renewTime: t(10_000) });
    await env.time.advance(1);
    await stopped;
    expect(a.election.isLeader()).toBe(false);
    expect(env.server.lease()?.spec?.holderIdentity).toBeUndefined();
  });

  it('does not lead once stopped, and a stopped follower writes nothing', async () => {
    const env = setup();
    const a = elector(env, 'a');
    await env.time.advance(0);
    const b = elector(env, 'b');
    await b.election.stop();
    const version = env.server.lease()?.metadata?.resourceVersion;
    await a.election.stop();
    await env.time.advance(60_000);
    expect(b.events).toEqual([]);
    expect(env.server.lease()?.metadata?.resourceVersion).toBe(String(Number(version) + 1)); // a's release only
  });

  it("loses a race to take over an expired lease to its holder's late renewal, and waits again", async () => {
    const env = setup();
    const a = elector(env, 'a');
    await env.time.advance(0);
    const b = elector(env, 'b');
    a.line.cut = true;
    await env.time.advance(14_000);
    // At b's first try after expiry, a late renewal by the holder lands between b's read and write.
    env.server.beforeWrite = () => {
      env.server.beforeWrite = undefined;
      env.server.write((l) => ({ ...l, spec: { ...l.spec, renewTime: t(16_000) } }));
    };
    await env.time.advance(2_000);
    expect(b.election.isLeader()).toBe(false);
    expect(env.server.lease()?.spec).toMatchObject({ holderIdentity: 'a', renewTime: t(16_000) });
    // The new version was first seen at 18 s: b waits its full duration from then.
    await env.time.advance(16_000);
    expect(b.election.isLeader()).toBe(false);
    await env.time.advance(2_000);
    expect(b.events).toEqual([{ event: 'started', at: 34_000 }]);
  });

  it('keeps leading when its renewal loses a race to an unrelated write, renewing at the next try', async () => {
    const env = setup();
    const a = elector(env, 'a');
    await env.time.advance(0);
    env.server.beforeWrite = () => {
      env.server.beforeWrite = undefined;
      env.server.write((l) => ({ ...l, metadata: { ...l.metadata, labels: { team: 'data' } } }));
    };
    await env.time.advance(2_000);
    expect(env.server.lease()?.spec?.renewTime).toEqual(t(0));
    await env.time.advance(2_000);
    expect(env.server.lease()).toMatchObject({
      metadata: { labels: { team: 'data' } },
      spec: { renewTime: t(4_000) },
    });
    expect(a.election.isLeader()).toBe(true);
  });

  it('refuses timings where the leader could not give up before another replica takes over', () => {
    const env = setup();
    expect(() => elector(env, 'a', { leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      /leaseDuration > renewDeadline > retryPeriod/,
    );
  });
});
