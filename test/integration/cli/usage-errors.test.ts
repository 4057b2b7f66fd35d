import { describe, expect, it } from 'vitest';
import { startCli } from '../../support/cli-process.ts';

// What a user at the terminal sees for a wrong invocation: one line that names the problem, exit 2.
describe('syncjob usage errors', () => {
  it.each([
    [
      ['run', '-f', '/nonexistent/job.yaml'],
      'cannot read the SyncJob manifest /nonexistent/job.yaml: no such file (give its path with -f)',
    ],
    [
      ['precheck', '-f', '/tmp'],
      'cannot read the SyncJob manifest /tmp: it is a directory (give its path with -f)',
    ],
    [['run'], '-f is required'],
    [['nope'], "unknown command 'nope'"],
  ])('syncjob %j', async (args, message) => {
    const cli = startCli(args);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain(message);
    expect(cli.output()).not.toMatch(/\n\s+at .*:\d+:\d+/);
  });
});
