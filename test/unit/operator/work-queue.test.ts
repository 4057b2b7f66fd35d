import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import type { Clock, WorkQueue } from '../../../src/operator/work-queue.ts';
import { createWorkQueue, runWorkers } from '../../../src/operator/work-queue.ts';

/** A clock that moves only when the test says so; timers fire in due order during `advance`. */
function fakeClock() {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
  };
  return {
    clock,
    pending: () => timers.size,
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers)
          if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry;
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
    },
  };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Lets every pending promise callback (the workers' awaits) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Takes (and finishes) every key ready now, in hand-out order. */
async function drain(q: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (q.len() > 0) {
    const key = (await q.get())!;
    keys.push(key);
    q.done(key);
  }
  return keys;
}

describe('createWorkQueue', () => {
  const make = (opts: { baseDelayMs?: number; maxDelayMs?: number } = {}) => {
    const time = fakeClock();
    return { time, q: createWorkQueue({ clock: time.clock, ...opts }) };
  };

  it('queues a key at most once, in order of first add', async () => {
    const { q } = make();
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.len()).toBe(2);
    expect(await drain(q)).toEqual(['ns/a', 'ns/b']);
  });

  it('never hands a key to two getters; an add while processing queues it once, after done', async () => {
    const { q } = make();
    q.add('ns/a');
    expect(await q.get()).toBe('ns/a');

    q.add('ns/a');
    q.add('ns/a');
    expect(q.len()).toBe(0);
    let second: string | undefined;
    const waiting = q.get().then((key) => {
      second = key;
    });
    await settle();
    expect(second).toBeUndefined();

    q.done('ns/a');
    await waiting;
    expect(second).toBe('ns/a');
    expect(q.len()).toBe(0);
    q.done('ns/a');
    expect(q.len()).toBe(0);
  });

  it('hands one key to one of several waiting getters', async () => {
    const { q } = make();
    const got: (string | undefined)[] = [];
    const getters = [q.get(), q.get()].map((p) => p.then((key) => got.push(key)));
    q.add('ns/a');
    await settle();
    expect(got).toEqual(['ns/a']);
    q.shutDown();
    await Promise.all(getters);
    expect(got).toEqual(['ns/a', undefined]);
  });

  it('backs off per key, doubling up to the cap, and forget resets it', async () => {
    const { q, time } = make({ baseDelayMs: 5, maxDelayMs: 30 });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      q.addRateLimited('ns/a');
      let waited = 0;
      while (q.len() === 0 && waited < 1000) {
        time.advance(1);
        waited++;
      }
      delays.push(waited);
      expect(await drain(q)).toEqual(['ns/a']);
    }
    expect(delays).toEqual([5, 10, 20, 30, 30]);
    expect(q.numRequeues('ns/a')).toBe(5);
    expect(q.numRequeues('ns/b')).toBe(0);

    q.forget('ns/a');
    expect(q.numRequeues('ns/a')).toBe(0);
    q.addRateLimited('ns/a');
    time.advance(4);
    expect(q.len()).toBe(0);
    time.advance(1);
    expect(q.len()).toBe(1);
  });

  it('defaults to 5 ms doubling up to 1000 s', async () => {
    const { q, time } = make();
    for (let i = 0; i < 20; i++) {
      const expected = Math.min(5 * 2 ** i, 1_000_000);
      q.addRateLimited('ns/a');
      time.advance(expected - 1);
      expect(q.len()).toBe(0);
      time.advance(1);
      expect(await drain(q)).toEqual(['ns/a']);
    }
  });

  it('keeps the soonest of two pending addAfter for a key', async () => {
    const { q, time } = make();
    q.addAfter('ns/a', 100);
    q.addAfter('ns/a', 50);
    q.addAfter('ns/b', 50);
    q.addAfter('ns/b', 100);
    expect(time.pending()).toBe(2);
    time.advance(49);
    expect(q.len()).toBe(0);
    time.advance(1);
    expect(await drain(q)).toEqual(['ns/a', 'ns/b']);
    time.advance(1000);
    expect(q.len()).toBe(0);
  });

  it('drops a pending addAfter when the key is added now', async () => {
    const { q, time } = make();
    q.addAfter('ns/a', 100);
    q.add('ns/a');
    expect(time.pending()).toBe(0);
    expect(await drain(q)).toEqual(['ns/a']);
    time.advance(1000);
    expect(q.len()).toBe(0);
    // And the other way round: a key already queued needs no delayed add.
    q.add('ns/b');
    q.addAfter('ns/b', 100);
    expect(time.pending()).toBe(0);
    q.addAfter('ns/c', 0);
    expect(await drain(q)).toEqual(['ns/b', 'ns/c']);
  });

  it('on shutDown releases waiting getters, drains what is queued, and takes nothing new', async () => {
    const { q, time } = make();
    const waiting = [q.get(), q.get()];
    q.addAfter('ns/late', 10);
    q.shutDown();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
    expect(time.pending()).toBe(0); // no timer outlives the queue
    time.advance(100);
    q.add('ns/new');
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();

    const { q: q2 } = make();
    q2.add('ns/a');
    q2.add('ns/b');
    expect(await q2.get()).toBe('ns/a');
    q2.add('ns/a');
    q2.shutDown();
    expect(await q2.get()).toBe('ns/b');
    q2.done('ns/b');
    // The re-add of the running key is dropped: the workers may be gone, a restart lists everything.
    q2.done('ns/a');
    expect(q2.len()).toBe(0);
    expect(await q2.get()).toBeUndefined();
  });
});

describe('runWorkers', () => {
  const start = (
    reconcile: (key: string) => Promise<{ requeueAfterMs?: number } | undefined>,
    concurrency = 2,
  ) => {
    const time = fakeClock();
    const q = createWorkQueue({ clock: time.clock, baseDelayMs: 5, maxDelayMs: 1000 });
    const errors: [string, unknown, boolean][] = [];
    const finished = runWorkers(q, concurrency, reconcile, (key, err, retriable) =>
      errors.push([key, err, retriable]),
    );
    return { time, q, errors, finished };
  };

  it('never runs a key twice at once; an add while it runs runs it again exactly once', async () => {
    const gates = [deferred(), deferred()];
    const runs: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const { q, finished } = start(async (key) => {
      const gate = gates[runs.length]!;
      runs.push(key);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await gate.promise;
      running--;
      return undefined;
    }, 4);

    q.add('ns/a');
    await settle();
    expect(runs).toEqual(['ns/a']);
    q.add('ns/a');
    q.add('ns/a');
    await settle();
    expect(runs).toEqual(['ns/a']);

    gates[0]!.resolve();
    await settle();
    expect(runs).toEqual(['ns/a', 'ns/a']);
    gates[1]!.resolve();
    await settle();
    expect(runs).toEqual(['ns/a', 'ns/a']);
    expect(maxRunning).toBe(1);

    q.shutDown();
    await finished;
  });

  it('requeues after the requested delay, and a success resets the backoff', async () => {
    const runs: number[] = [];
    let fail = true;
    const { q, time, errors, finished } = start(async () => {
      runs.push(time.clock.now());
      if (fail) {
        fail = false;
        throw new Error('connection refused');
      }
      return { requeueAfterMs: 1000 };
    });

    q.add('ns/a');
    await settle();
    expect(errors).toEqual([['ns/a', new Error('connection refused'), true]]);
    expect(q.numRequeues('ns/a')).toBe(1);
    time.advance(5);
    await settle();
    expect(runs).toEqual([0, 5]);
    expect(q.numRequeues('ns/a')).toBe(0);

    time.advance(999);
    await settle();
    expect(runs).toEqual([0, 5]);
    time.advance(1);
    await settle();
    expect(runs).toEqual([0, 5, 1005]);

    q.shutDown();
    await finished;
  });

  it('retries a retriable error with doubling delays', async () => {
    const runs: number[] = [];
    const { q, time, finished } = start(async () => {
      runs.push(time.clock.now());
      throw new Error('timeout');
    });
    q.add('ns/a');
    for (let i = 0; i < 4; i++) {
      await settle();
      time.advance(5 * 2 ** i);
    }
    await settle();
    expect(runs).toEqual([0, 5, 15, 35, 75]);
    q.shutDown();
    await finished;
  });

  it('reports a terminal error and does not retry it until the key is added again', async () => {
    const err = new ConfigError('spec.source.host is empty', 'set spec.source.host');
    let runs = 0;
    const { q, time, errors, finished } = start(async () => {
      runs++;
      throw err;
    });
    q.add('ns/a');
    await settle();
    expect(errors).toEqual([['ns/a', err, false]]);
    expect(q.numRequeues('ns/a')).toBe(0);
    expect(time.pending()).toBe(0);
    time.advance(10_000_000);
    await settle();
    expect(runs).toBe(1);

    q.add('ns/a');
    await settle();
    expect(runs).toBe(2);
    q.shutDown();
    await finished;
  });

  it('resolves once the queue shuts down and the running reconciles finish', async () => {
    const gate = deferred();
    const { q, finished } = start(() => gate.promise.then(() => undefined));
    q.add('ns/a');
    await settle();
    let done = false;
    void finished.then(() => {
      done = true;
    });
    q.shutDown();
    await settle();
    expect(done).toBe(false);
    gate.resolve();
    await settle();
    expect(done).toBe(true);
  });
});
