#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { ConfigError, SyncError } from '../errors.ts';

type Command = (args: string[]) => Promise<number>;

// The one binary. `worker` is what the worker pod runs: the same code as `run`, named for its role.
// Each command's modules load only when it runs: a worker does not carry the Kubernetes client
// (~60 MiB of RSS).
const runCommand: Command = async (args) => (await import('./run.ts')).runCommand(args);
const commands: Record<string, { summary: string; run: Command }> = {
  operator: {
    summary: 'run the operator: reconcile SyncJobs in the cluster',
    run: async (args) => (await import('./operator.ts')).operatorCommand(args),
  },
  worker: { summary: 'the worker pod entrypoint (same as run)', run: runCommand },
  run: { summary: 'run one SyncJob in the foreground (-f job.yaml)', run: runCommand },
  decode: {
    summary: 'print the DTS-Avro records of a topic as JSON lines',
    run: async (args) => (await import('./decode.ts')).decodeCommand(args),
  },
  precheck: {
    summary: "check a SyncJob's source and target before it runs (-f job.yaml)",
    run: async (args) => (await import('./precheck.ts')).precheckCommand(args),
  },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'usage: syncjob <command> [options]',
    '',
    'commands:',
    ...lines,
    '  version    print the version',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'version' || name === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = name === undefined ? undefined : commands[name];
  if (!command) {
    process.stderr.write(
      `${name && name !== 'help' && name !== '--help' ? `unknown command '${name}'\n\n` : ''}${usage()}\n`,
    );
    return name === undefined || name === 'help' || name === '--help' ? 0 : 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // Usage and manifest errors are for the person at the terminal, not a stack trace.
    if (err instanceof ConfigError || (err as Error).name === 'ManifestError') {
      process.stderr.write(`${(err as Error).message}\n`);
      return 2;
    }
    // Anything else (a broker that does not answer, say) as one line; the stack only when asked.
    const fix = err instanceof SyncError && err.fix ? ` (fix: ${err.fix})` : '';
    process.stderr.write(`syncjob ${name}: ${(err as Error).message ?? String(err)}${fix}\n`);
    if (process.env.SYNCJOB_LOG_LEVEL === 'debug') process.stderr.write(`${(err as Error).stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
