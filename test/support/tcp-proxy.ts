import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Drops every connection and refuses new ones (a crash, an RST) until called with false. */
  cut(on: boolean): void;
  /**
   * Forwards nothing, in either direction, and closes nothing (a dead link, a frozen peer): new
   * connections are accepted and wait. Called with false, everything held flows on.
   */
  stall(on: boolean): void;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 to `target`, for faults a test controls. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const held: (() => void)[] = [];
  let cut = false;
  let stalled = false;
  let accepted = 0;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };
  const connect = (client: Socket) => {
    const upstream = createConnection(target);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    if (stalled) {
      client.pause();
      upstream.pause();
    }
  };
  const server: Server = createServer((client) => {
    accepted++;
    if (cut) return void client.destroy();
    track(client);
    if (stalled) {
      client.pause();
      // The client may have given up meanwhile.
      held.push(() => !client.destroyed && connect(client));
    } else connect(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    cut(on) {
      cut = on;
      if (on) for (const s of sockets) s.destroy();
    },
    stall(on) {
      stalled = on;
      for (const s of sockets) on ? s.pause() : s.resume();
      if (!on) for (const go of held.splice(0)) go();
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A proxy to the API server of `kubeconfig`, and a copy of that kubeconfig that goes through it. */
export async function proxiedKubeconfig(
  kubeconfig: string,
): Promise<{ proxy: TcpProxy; kubeconfig: string }> {
  const original = readFileSync(kubeconfig, 'utf8');
  const server = /server: (\S+)/.exec(original)?.[1] ?? '';
  const proxy = await startTcpProxy({ host: new URL(server).hostname, port: Number(new URL(server).port) });
  const copy = path.join(mkdtempSync(path.join(tmpdir(), 'syncjob-proxy-')), 'kubeconfig');
  writeFileSync(copy, original.replace(server, `https://127.0.0.1:${proxy.port}`), { mode: 0o600 });
  return { proxy, kubeconfig: copy };
}
