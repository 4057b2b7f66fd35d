// The Node flags a worker runs with wherever it starts: the worker pod's command, the image's
// entrypoint and bin/syncjob (a unit test keeps those two in step), the benchmark.
// A young generation of 16 MiB instead of V8's default, which grows to 128 MiB on a large host:
// the worker allocates short-lived records at a high rate, and the small nursery measured both
// faster and smaller (catch-up 92,600 vs 66,700 rows/s with 3.75 vs 4.75 CPU s; streaming peak
// RSS 234 vs 313 MiB; latency unchanged; docs/performance.md).
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=8'] as const;
