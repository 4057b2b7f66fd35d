// The alert rules (charts/syncjob-operator/files/alerts.yaml) under Prometheus's own tool: they
// load, and every case of test/prometheus/alerts_test.yaml holds (promtool test rules: each alert
// fires when it should, only then, with its labels and text, and resolves). promtool is Debian's
// prometheus package's, unpacked by the test environment.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testEnv } from '../../support/testenv.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RULES = path.join(ROOT, 'charts/syncjob-operator/files/alerts.yaml');
const promtool = () => testEnv().kube.promtool;

describe('the alert rules', () => {
  it('load in Prometheus', async () => {
    const { stdout } = await run(promtool(), ['check', 'rules', RULES]);
    expect(stdout).toMatch(/SUCCESS: 6 rules found/);
  });

  it('pass their promtool unit tests, which cover every alert', async () => {
    const tests = parse(readFileSync(path.join(ROOT, 'test/prometheus/alerts_test.yaml'), 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const fired = new Set(
      tests.tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    const alerts = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string }[] }[] }).groups
      .flatMap((g) => g.rules)
      .map((r) => r.alert);
    expect([...fired].sort()).toEqual([...alerts].sort());
    const { stdout } = await run(promtool(), ['test', 'rules', 'alerts_test.yaml'], {
      cwd: path.join(ROOT, 'test/prometheus'),
    });
    expect(stdout).toContain('SUCCESS');
  });
});
