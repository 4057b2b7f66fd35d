import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { isReady, type WorkerReport } from './report.ts';

/**
 * `/metrics` (Prometheus), `/healthz` (the process answers), `/readyz` (the stream runs, neither side stalled) and
 * `/report` (the worker report as JSON) on one port.
 */
export function startHttpServer(opts: {
  port: number;
  host?: string;
  registry: Registry;
  report: WorkerReport;
}): Promise<Server> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/metrics') {
      opts.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
      return;
    }
    if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (url === '/readyz') {
      const report = opts.report.snapshot();
      const ready = isReady(report);
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(
        ready
          ? 'ok\n'
          : `${report.problems.map((p) => `${p.reason}: ${p.message}`).join('\n') || 'not streaming'}\n`,
      );
      return;
    }
    if (url === '/report') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(opts.report.snapshot()));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve(server));
  });
}
