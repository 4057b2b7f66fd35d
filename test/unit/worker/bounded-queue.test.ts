import { describe, expect, it } from 'vitest';
import { createBoundedQueue } from '../../../src/worker/bounded-queue.ts';

describe('createBoundedQueue', () => {
  const make = () => {
    const events: string[] = [];
    const q = createBoundedQueue<number>({
      highWaterBytes: 100,
      lowWaterBytes: 20,
      onPause: () => events.push('pause'),
      onResume: () => events.push('resume'),
    });
    return { q, events };
  };

  it('pauses the producer at the high-water mark and resumes it below the low-water mark', async () => {
    const { q, events } = make();
    for (let i = 0; i < 10; i++) q.push(i, 10);
    expect(events).toEqual(['pause']);
    expect(await q.take(5, 1000)).toEqual([0, 1, 2, 3, 4]);
    expect(events).toEqual(['pause']);
    expect(await q.take(3, 1000)).toEqual([5, 6, 7]);
    expect(events).toEqual(['pause', 'resume']);
    expect(q.stats()).toEqual({ items: 2, bytes: 20, paused: false });
  });

  it('limits a batch by bytes but always returns at least one item', async () => {
    const { q } = make();
    q.push(1, 500);
    q.push(2, 10);
    expect(await q.take(10, 100)).toEqual([1]);
    expect(await q.take(10, 100)).toEqual([2]);
  });

  it('waits for items, and returns [] once closed and empty', async () => {
    const { q } = make();
    const pending = q.take(10, 100);
    q.push(7, 1);
    expect(await pending).toEqual([7]);
    const last = q.take(10, 100);
    q.close();
    expect(await last).toEqual([]);
  });

  it('keeps order across compaction of a long-lived queue', async () => {
    const { q } = make();
    const seen: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      q.push(i, 0);
      if (i % 3 === 0) seen.push(...(await q.take(2, 1000)));
    }
    q.close();
    for (;;) {
      const b = await q.take(1000, 1e9);
      if (b.length === 0) break;
      seen.push(...b);
    }
    expect(seen).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
  });

  it('waitForItems wakes as soon as an item arrives, and gives up after its time without one', async () => {
    const { q } = make();
    const early = q.waitForItems(10_000);
    setTimeout(() => q.push(1, 1), 5);
    const started = Date.now();
    expect(await early).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000); // woken by the push, not the 10 s timer
    expect(await q.waitForItems(10_000)).toBe(true); // an item is already there
    expect(await q.take(10, 100)).toEqual([1]);
    expect(await q.waitForItems(20)).toBe(false);
    // The timer left no waiter behind: a take afterwards still wakes on a push.
    const next = q.take(10, 100);
    q.push(2, 1);
    expect(await next).toEqual([2]);
  });
});
