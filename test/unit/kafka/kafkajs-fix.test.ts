import { describe, expect, it } from 'vitest';
import { pendingCheckDelay } from '../../../src/kafka/kafkajs.ts';
import { remainingPartitions } from '../../../src/kafka/topic-scan.ts';

describe('the kafkajs request-queue timer', () => {
  const now = 1_796_000_000_000;
  it('arms no timer when nothing waits and nothing is throttled (kafkajs armed one at minus the epoch)', () => {
    expect(pendingCheckDelay({ throttledUntil: -1, pending: [] }, now)).toBeNull();
    expect(pendingCheckDelay({ throttledUntil: now - 5, pending: [] }, now)).toBeNull();
  });
  it('waits out a broker throttle, and polls waiting requests every 10 ms otherwise', () => {
    expect(pendingCheckDelay({ throttledUntil: now + 250, pending: [] }, now)).toBe(250);
    expect(pendingCheckDelay({ throttledUntil: now + 250, pending: [{}] }, now)).toBe(250);
    expect(pendingCheckDelay({ throttledUntil: -1, pending: [{}] }, now)).toBe(10);
  });
  it('is what kafkajs runs: its RequestQueue uses the fixed method', async () => {
    const { createRequire } = await import('node:module');
    const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as {
      prototype: object;
    };
    const queue = Object.create(RequestQueue.prototype) as Record<string, unknown> & {
      scheduleCheckPendingRequests(): void;
    };
    Object.assign(queue, { throttledUntil: -1, pending: [], throttleCheckTimeoutId: null });
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });
});

describe('remainingPartitions', () => {
  it('keeps the end offset of every partition that holds records', () => {
    expect(
      remainingPartitions([
        { partition: 0, low: '0', high: '0' },
        { partition: 1, low: '3', high: '10' },
        { partition: 2, low: '7', high: '7' },
      ]),
    ).toEqual(new Map([[1, 10n]]));
  });
});
