import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GRAFANA_FILE, RULES_FILE, renderGrafanaAlerting, type PrometheusRuleFile } from '../../scripts/grafana-alerts.js';
import { PROJECT_ROOT } from '../helpers/journey-harness.js';

/** The alert rules: valid for Prometheus, unit-tested rule by rule, documented, and the same in Grafana. */

const ALERTS_DIR = join(PROJECT_ROOT, 'alerts');
const rules = (parse(readFileSync(RULES_FILE, 'utf8')) as PrometheusRuleFile).groups.flatMap((g) => g.rules);
const unitTests = parse(readFileSync(join(ALERTS_DIR, 'golden-path.rules.test.yml'), 'utf8')) as {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
};

function promtool(args: string[]): { code: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: ALERTS_DIR, encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Alerts on a target's own facts, not a journey's runs, and what reads those facts. */
const TARGET_LEVEL: Readonly<Record<string, string>> = {
  GoldenPathRevisionChanged: 'deployed revision',
  GoldenPathDeployNotEffective: '/api/system/info',
  TLSCertificateExpiringSoon: 'platform-health',
  DependencyDegraded: 'platform-health',
};

describe('alert rules', () => {
  it('every rules file passes promtool check rules', () => {
    const files = readdirSync(ALERTS_DIR).filter((f) => f.endsWith('.rules.yml'));
    assert.ok(files.length > 0);
    const result = promtool(['check', 'rules', ...files]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it('every rule passes its promtool unit tests', () => {
    const result = promtool(['test', 'rules', 'golden-path.rules.test.yml']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /SUCCESS/);
  });

  it('promtool test rules fails when a rule is wrong (the unit tests can fail)', () => {
    // The same tests against a rules file whose GoldenPathDown pages on the first failure.
    const broken = readFileSync(RULES_FILE, 'utf8').replace('synthetic_journey_consecutive_failures >= synthetic_journey_page_after_failures', 'synthetic_journey_consecutive_failures >= 1');
    assert.notEqual(broken, readFileSync(RULES_FILE, 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-broken-rules-'));
    copyFileSync(join(ALERTS_DIR, 'golden-path.rules.test.yml'), join(dir, 'golden-path.rules.test.yml'));
    writeFileSync(join(dir, 'golden-path.rules.yml'), broken);
    const result = spawnSync('promtool', ['test', 'rules', 'golden-path.rules.test.yml'], { cwd: dir, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    assert.notEqual(result.status, 0);
    assert.match(`${result.stdout}${result.stderr}`, /one failed run alone does not page/);
  });

  it('has the alerts on-call needs, each with a severity, unit-tested with an alert expected', () => {
    const names = rules.map((r) => r.alert);
    assert.deepEqual([...new Set(names)].sort(), [
      'DependencyDegraded',
      'GoldenPathDeployNotEffective',
      'GoldenPathDown',
      'GoldenPathFirstEventSlow',
      'GoldenPathMonitorStale',
      'GoldenPathRevisionChanged',
      'GoldenPathRunsErroring',
      'GoldenPathSecurityFailure',
      'GoldenPathStepOverSLO',
      'TLSCertificateExpiringSoon',
    ]);
    const severity = Object.fromEntries(rules.map((r) => [r.alert, r.labels?.severity]));
    assert.equal(severity.GoldenPathDown, 'page');
    assert.equal(severity.GoldenPathSecurityFailure, 'page');
    assert.equal(severity.GoldenPathMonitorStale, 'page');
    assert.equal(severity.GoldenPathRunsErroring, 'ticket', 'a broken monitor is not the target down: it never pages');
    assert.equal(severity.GoldenPathRevisionChanged, 'info');
    assert.equal(severity.GoldenPathDeployNotEffective, 'page', 'deployed but not running: the incident this monitor exists for');
    assert.equal(severity.DependencyDegraded, 'ticket', 'degraded is up: never a page');
    // Two rules of one name: a ticket under 14 days, a page under 3.
    assert.deepEqual(rules.filter((r) => r.alert === 'TLSCertificateExpiringSoon').map((r) => r.labels?.severity), ['ticket', 'page']);
    for (const name of names) {
      const firing = unitTests.tests.flatMap((t) => t.alert_rule_test ?? []).filter((a) => a.alertname === name && a.exp_alerts.length > 0);
      const quiet = unitTests.tests.flatMap((t) => t.alert_rule_test ?? []).filter((a) => a.alertname === name && a.exp_alerts.length === 0);
      assert.ok(firing.length > 0, `${name}: a unit test where it fires`);
      assert.ok(quiet.length > 0, `${name}: a unit test where it does not`);
    }
  });

  it('every alert says which journey, target, step and reason, and links a runbook section that exists', () => {
    const runbook = readFileSync(join(PROJECT_ROOT, 'docs/runbook.md'), 'utf8');
    const anchors = new Set([...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((m) => (m[1] ?? '').trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    for (const rule of rules) {
      const text = `${rule.annotations?.summary ?? ''} ${rule.annotations?.description ?? ''}`;
      assert.ok(rule.annotations?.summary && rule.annotations.description, `${rule.alert}: summary and description`);
      assert.match(text, /\$labels\.target/, `${rule.alert} names the target`);
      // A target's own facts (its revision, its certificates, its dependencies) have no journey label: the text says where they come from.
      if (TARGET_LEVEL[rule.alert] === undefined) assert.match(text, /\$labels\.journey/, `${rule.alert} names the journey`);
      else assert.ok(text.includes(TARGET_LEVEL[rule.alert] ?? ''), `${rule.alert} says where its facts come from (${TARGET_LEVEL[rule.alert] ?? ''})`);
      // The step and the reason: as labels, or (where the rule sets them) in the text.
      assert.ok(/\$labels\.step/.test(text) || (rule.labels?.step !== undefined && text.includes(`Step: ${rule.labels.step}`)), `${rule.alert} names the step`);
      assert.ok(/\$labels\.reason/.test(text) || (rule.labels?.reason !== undefined && text.toLowerCase().includes(`reason: ${rule.labels.reason}`)), `${rule.alert} names the reason`);
      const anchor = /docs\/runbook\.md#([a-z0-9-]+)$/.exec(rule.annotations.runbook_url ?? '')?.[1];
      assert.ok(anchor !== undefined && anchors.has(anchor), `${rule.alert}: runbook_url ${rule.annotations.runbook_url ?? '(none)'} points at a section of docs/runbook.md`);
    }
  });

  it('Grafana provisions the same rules (regenerate with npm run gen:grafana-alerts), on the provisioned datasource', () => {
    assert.equal(readFileSync(GRAFANA_FILE, 'utf8'), renderGrafanaAlerting(readFileSync(RULES_FILE, 'utf8')), 'deploy/grafana/provisioning/alerting/golden-path.yaml is out of date: npm run gen:grafana-alerts');
    const grafana = parse(readFileSync(GRAFANA_FILE, 'utf8')) as { groups: { rules: { title: string; uid: string; data: { datasourceUid: string; model: { expr?: string } }[] }[] }[] };
    const provisioned = grafana.groups.flatMap((g) => g.rules);
    assert.deepEqual(provisioned.map((r) => r.title), rules.map((r) => r.alert));
    for (const [i, rule] of provisioned.entries()) assert.equal(rule.data[0]?.model.expr, rules[i]?.expr.trim());
    assert.ok(provisioned.every((r) => r.uid.length <= 40), 'Grafana uids are at most 40 characters');
    const datasources = parse(readFileSync(join(PROJECT_ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yaml'), 'utf8')) as { datasources: { uid: string; type: string }[] };
    const uids = datasources.datasources.filter((d) => d.type === 'prometheus').map((d) => d.uid);
    for (const rule of provisioned) assert.ok(uids.includes(rule.data[0]?.datasourceUid ?? ''), `${rule.title}: datasource ${rule.data[0]?.datasourceUid ?? ''} is provisioned`);
  });
});
