import { describe, expect, it } from 'vitest';
import { createLagClock } from '../../../src/worker/lag.ts';

describe('the lag clock', () => {
  it('grows with wall time while nothing is acknowledged, and moves only forward', () => {
    let now = 10_000;
    const lag = createLagClock(() => now);
    expect(lag.seconds()).toBeNull();
    lag.committed(8);
    expect(lag.seconds()).toBe(2);
    now += 25_000;
    expect(lag.seconds()).toBe(27);
    // An older transaction acknowledged later (another table's) does not move it back.
    lag.committed(5);
    expect(lag.seconds()).toBe(27);
  });

  it('reads ~0 for an idle, caught-up job once a heartbeat finds nothing pending', () => {
    let now = 1_000_000;
    const lag = createLagClock(() => now);
    lag.committed(900);
    expect(lag.seconds()).toBe(100);
    lag.caughtUp(now);
    now += 1_500;
    expect(lag.seconds()).toBe(1.5);
  });

  it('is never negative when the source clock runs ahead', () => {
    const lag = createLagClock(() => 1_000);
    lag.committed(5);
    expect(lag.seconds()).toBe(0);
  });
});
