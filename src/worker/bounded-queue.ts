// The queue between the source reader and the sink. Bounded by bytes: when it holds more than
// `highWater` the producer side is told to pause (the binlog connection stops reading), and when
// the sink drains it below `lowWater` it is told to resume. So memory stays flat whatever the
// table or transaction size.

export interface BoundedQueueOptions {
  highWaterBytes: number;
  lowWaterBytes: number;
  onPause: () => void;
  onResume: () => void;
}

export interface QueueStats {
  items: number;
  bytes: number;
  paused: boolean;
}

export interface BoundedQueue<T> {
  push(item: T, bytes: number): void;
  /** Resolves with up to `maxItems`/`maxBytes` of the oldest items once any exist, or [] once closed and empty. */
  take(maxItems: number, maxBytes: number): Promise<T[]>;
  /** Resolves true as soon as an item is queued (or the queue is closed), false after `ms` without one. */
  waitForItems(ms: number): Promise<boolean>;
  close(): void;
  stats(): QueueStats;
}

export function createBoundedQueue<T>(opts: BoundedQueueOptions): BoundedQueue<T> {
  // A ring of parallel arrays would save little here; batches are taken whole, so a head index
  // with periodic compaction keeps take() O(batch).
  let items: T[] = [];
  let sizes: number[] = [];
  let head = 0;
  let bytes = 0;
  let paused = false;
  let closed = false;
  let waiter: (() => void) | null = null;

  const wake = () => {
    const w = waiter;
    waiter = null;
    w?.();
  };

  return {
    push(item, size) {
      // After close the reader is being stopped; what it still hands over is re-read on resume,
      // which starts after the last acknowledged transaction.
      if (closed) return;
      items.push(item);
      sizes.push(size);
      bytes += size;
      if (!paused && bytes >= opts.highWaterBytes) {
        paused = true;
        opts.onPause();
      }
      wake();
    },

    async take(maxItems, maxBytes) {
      while (head === items.length && !closed) {
        await new Promise<void>((resolve) => {
          waiter = resolve;
        });
      }
      const batch: T[] = [];
      let taken = 0;
      while (head < items.length && batch.length < maxItems) {
        const size = sizes[head]!;
        if (batch.length > 0 && taken + size > maxBytes) break;
        batch.push(items[head]!);
        taken += size;
        head++;
      }
      bytes -= taken;
      if (head > 4096 && head * 2 > items.length) {
        items = items.slice(head);
        sizes = sizes.slice(head);
        head = 0;
      }
      if (paused && bytes <= opts.lowWaterBytes) {
        paused = false;
        opts.onResume();
      }
      return batch;
    },

    waitForItems(ms) {
      if (head < items.length || closed) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          waiter = null;
          resolve(false);
        }, ms);
        waiter = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
    },

    close() {
      closed = true;
      wake();
    },

    stats: () => ({ items: items.length - head, bytes, paused }),
  };
}
