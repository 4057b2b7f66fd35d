import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTail, showOnFailure } from './failure-output.ts';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  /** What the process wrote so far (stdout and stderr), its last 256 KiB. */
  output(): string;
  /** What it wrote to stdout alone (stderr may carry warnings). */
  stdout(): string;
  /** Peak resident set size (VmHWM) in MiB, from /proc. */
  peakRssMiB(): number;
  /** SIGTERM, then waits for exit; returns the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Runs `syncjob <args>` with the same Node as the tests, as a separate process. Its output is
 * printed only if a test of the file fails.
 */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createTail(256 * 1024);
  showOnFailure(`syncjob ${args.join(' ')} (pid ${child.pid})`, out.text);
  // Kept whole: the commands whose stdout a test parses print what the test bounds.
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => {
    out.write(d.toString());
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out.write(d.toString());
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: out.text,
    stdout: () => stdout,
    peakRssMiB() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
      return kb / 1024;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls until `check` is true; fails with `what` after the timeout. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
