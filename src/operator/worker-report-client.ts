// Reads the worker's /report over the pod network. The report is advisory: an unreachable worker
// yields null and the plan treats the job as starting, never as failed.
import type { V1Pod } from '@kubernetes/client-node';
import type { WorkerReportSnapshot } from '../worker/report.ts';

export type ReportFetcher = (pod: V1Pod, port: number) => Promise<WorkerReportSnapshot | null>;

export function httpReportFetcher(timeoutMs = 2_000): ReportFetcher {
  return async (pod, port) => {
    const ip = pod.status?.podIP;
    if (!ip || pod.status?.phase !== 'Running') return null;
    const host = ip.includes(':') ? `[${ip}]` : ip;
    try {
      const res = await fetch(`http://${host}:${port}/report`, { signal: AbortSignal.timeout(timeoutMs) });
      return res.ok ? ((await res.json()) as WorkerReportSnapshot) : null;
    } catch {
      return null;
    }
  };
}
