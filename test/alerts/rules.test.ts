import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GRAFANA_FILE, RULES_FILE, grafanaTemplate, linksExpr, readsLinks, renderGrafanaAlerting, type PrometheusRuleFile } from '../../scripts/grafana-alerts.js';
import { RUNBOOK_FILE, renderRunbook } from '../../src/http/runbook.js';
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
    // The ids the runbook has as gpmon serves it at /runbook (GitHub's ids: the same anchors on GitHub).
    const ids = new Set([...renderRunbook(readFileSync(RUNBOOK_FILE, 'utf8')).html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
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
      // Absolute (the runbook base the monitor exports) or, without it, the file's path: the same anchor, the alert's name.
      const anchors = [...(rule.annotations.runbook_url ?? '').matchAll(/#([a-z0-9-]+)/g)].map((m) => m[1]);
      assert.deepEqual(anchors, [rule.alert.toLowerCase(), rule.alert.toLowerCase()], `${rule.alert}: runbook_url anchors`);
      assert.ok(ids.has(rule.alert.toLowerCase()), `${rule.alert}: the runbook has a section #${rule.alert.toLowerCase()}`);
    }
  });

  it('no placeholder organisation: the links come from the monitor (GPMON_EXTERNAL_URL, GPMON_RUNBOOK_URL), not from a guessed host', () => {
    for (const file of [RULES_FILE, GRAFANA_FILE, RUNBOOK_FILE, join(ALERTS_DIR, 'golden-path.rules.test.yml')]) {
      assert.doesNotMatch(readFileSync(file, 'utf8'), /github\.com|golden-path-monitor\/golden-path-monitor|example\.org/, file);
    }
  });

  /** Per alert: the console path its run_url opens (only where there is a failed run to open) and the one its console_url opens. */
  const LINKS: Readonly<Record<string, { run?: RegExp; console: RegExp }>> = {
    GoldenPathDown: { run: /"\/journeys\/%s\/last-failure\?target=%s" \(urlquery \$labels\.journey\) \(urlquery \$labels\.target\)/, console: /"\/journeys\/%s\?target=%s" \(urlquery \$labels\.journey\) \(urlquery \$labels\.target\)/ },
    GoldenPathSecurityFailure: { run: /"\/journeys\/%s\/last-failure\?target=%s"/, console: /"\/journeys\/%s\?target=%s"/ },
    GoldenPathStepOverSLO: { console: /"\/journeys\/%s\?target=%s"/ },
    GoldenPathFirstEventSlow: { console: /"\/journeys\/%s\?target=%s"/ },
    GoldenPathMonitorStale: { console: /"\/journeys\/%s\?target=%s"/ },
    GoldenPathRunsErroring: { console: /"\/journeys\/%s\?target=%s"/ },
    GoldenPathRevisionChanged: { console: /\$path := "\/"/ },
    GoldenPathDeployNotEffective: { console: /\$path := "\/"/ },
    TLSCertificateExpiringSoon: { console: /"\/journeys\/platform-health\?target=%s" \(urlquery \$labels\.target\)/ },
    DependencyDegraded: { console: /"\/journeys\/platform-health\?target=%s"/ },
  };

  it('every alert links the console (the last failed run where there is one) and the runbook, from its own monitor’s synthetic_monitor_links_info, or says what to set', () => {
    const readsOwnLinks = (text: string, label: string) =>
      text.includes(`{{ with printf "synthetic_monitor_links_info{job=%q,instance=%q}" $labels.job $labels.instance | query }}`) && text.includes(`first . | label "${label}"`);
    for (const rule of rules) {
      const expected = LINKS[rule.alert];
      assert.ok(expected !== undefined, `${rule.alert}: which links it carries (LINKS in this test)`);
      const { run_url: run, console_url: page, runbook_url: runbook } = rule.annotations ?? {};
      assert.ok(page !== undefined && expected.console.test(page) && readsOwnLinks(page, 'console_url'), `${rule.alert}: console_url`);
      assert.match(page, /set GPMON_EXTERNAL_URL for a link/, `${rule.alert}: console_url says what to set`);
      assert.ok(runbook !== undefined && readsOwnLinks(runbook, 'runbook_url') && runbook.includes('set GPMON_EXTERNAL_URL or GPMON_RUNBOOK_URL'), `${rule.alert}: runbook_url`);
      if (expected.run === undefined) assert.equal(run, undefined, `${rule.alert}: no failed run to open`);
      else assert.ok(run !== undefined && expected.run.test(run) && readsOwnLinks(run, 'console_url'), `${rule.alert}: run_url`);
    }
  });

  /**
   * Which alerts a paused journey silences. The target's alerts: the deploy one reads revisions that only runs
   * can read (quiet while every journey against the target is paused); a certificate's end and a degraded
   * dependency are facts about the platform, and a new revision is context: a pause hides none of them.
   */
  const PAUSE: Readonly<Record<string, 'journey' | 'every journey of the target' | 'not honoured'>> = {
    GoldenPathDown: 'journey',
    GoldenPathSecurityFailure: 'journey',
    GoldenPathStepOverSLO: 'journey',
    GoldenPathFirstEventSlow: 'journey',
    GoldenPathMonitorStale: 'journey',
    GoldenPathRunsErroring: 'journey',
    GoldenPathDeployNotEffective: 'every journey of the target',
    GoldenPathRevisionChanged: 'not honoured',
    TLSCertificateExpiringSoon: 'not honoured',
    DependencyDegraded: 'not honoured',
  };

  it('every alert about a journey honours its pause (unless on job, journey, target), keeping the alert’s labels; each is unit-tested paused', () => {
    const pausedTests = unitTests.tests.filter((t) => /pause/i.test(t.name));
    for (const rule of rules) {
      const how = PAUSE[rule.alert];
      assert.ok(how !== undefined, `${rule.alert}: decided whether a pause silences it (PAUSE in this test)`);
      if (how === 'not honoured') {
        assert.doesNotMatch(rule.expr, /synthetic_journey_paused/, rule.alert);
        continue;
      }
      // The last clause of the expression, applied to all of it (the rest is parenthesised where it has operators of its own).
      const clause = how === 'journey' ? /\n\s*unless on \(job, journey, target\)\s*\(\s*synthetic_journey_paused == 1\s*or\s[\s\S]*\)\s*$/ : /\n\s*unless on \(job, instance, target\)\s*\(\s*min by \(job, instance, target\) \(synthetic_journey_paused\) == 1\s*or\s[\s\S]*\)\s*$/;
      assert.match(rule.expr, clause, `${rule.alert}: ends with its pause clause`);
      assert.ok(pausedTests.some((t) => (t.alert_rule_test ?? []).some((a) => a.alertname === rule.alert && a.exp_alerts.length === 0)), `${rule.alert}: a unit test where it stays quiet paused`);
    }
  });

  it('Grafana’s query L, run by Prometheus: the alert’s series with the links’ labels (metric name kept) when its monitor exports them, as they are when not', () => {
    const ruleNamed = (name: string) => {
      const rule = rules.find((r) => r.alert === name);
      assert.ok(rule !== undefined, name);
      return rule;
    };
    const base = 'job="gpmon",instance="a:9595",target="staging"';
    const links = 'console_url="https://gpmon.example.com",runbook_url="https://gpmon.example.com/runbook"';
    const test = {
      rule_files: [],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // Instance a exports its links; instance b does not.
            { series: `synthetic_monitor_links_info{job="gpmon",instance="a:9595",${links}}`, values: '1x2' },
            ...['a', 'b'].flatMap((instance) => [
              { series: `synthetic_journey_consecutive_failures{job="gpmon",instance="${instance}:9595",journey="golden-path",target="staging"}`, values: '3x2' },
              { series: `synthetic_journey_page_after_failures{job="gpmon",instance="${instance}:9595",journey="golden-path",target="staging"}`, values: '3x2' },
              { series: `synthetic_journey_failure_info{job="gpmon",instance="${instance}:9595",journey="golden-path",target="staging",step="connect",reason="ws_subprotocol"}`, values: '1x2' },
              { series: `synthetic_dependency_degraded{job="gpmon",instance="${instance}:9595",target="staging",dependency="redis"}`, values: '1x2' },
            ]),
          ],
          promql_expr_test: [
            {
              expr: linksExpr(ruleNamed('GoldenPathDown').expr),
              eval_time: '1m',
              exp_samples: [
                { labels: `{${base},journey="golden-path",step="connect",reason="ws_subprotocol",${links}}`, value: 3 },
                { labels: `{${base.replace('a:9595', 'b:9595')},journey="golden-path",step="connect",reason="ws_subprotocol"}`, value: 3 },
              ],
            },
            {
              expr: linksExpr(ruleNamed('DependencyDegraded').expr),
              eval_time: '1m',
              exp_samples: [
                { labels: `synthetic_dependency_degraded{${base},dependency="redis",${links},gpmon_name="synthetic_dependency_degraded"}`, value: 1 },
                { labels: `synthetic_dependency_degraded{${base.replace('a:9595', 'b:9595')},dependency="redis"}`, value: 1 },
              ],
            },
          ],
        },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-grafana-links-'));
    writeFileSync(join(dir, 'links.test.yml'), JSON.stringify(test));
    const result = spawnSync('promtool', ['test', 'rules', 'links.test.yml'], { cwd: dir, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });

  it('Grafana provisions the same rules (regenerate with npm run gen:grafana-alerts), on the provisioned datasource', () => {
    assert.equal(readFileSync(GRAFANA_FILE, 'utf8'), renderGrafanaAlerting(readFileSync(RULES_FILE, 'utf8')), 'deploy/grafana/provisioning/alerting/golden-path.yaml is out of date: npm run gen:grafana-alerts');
    const grafana = parse(readFileSync(GRAFANA_FILE, 'utf8')) as { groups: { rules: { title: string; uid: string; data: { datasourceUid: string; model: { expr?: string } }[] }[] }[] };
    const provisioned = grafana.groups.flatMap((g) => g.rules);
    assert.deepEqual(provisioned.map((r) => r.title), rules.map((r) => r.alert));
    for (const [i, rule] of provisioned.entries()) assert.equal(rule.data[0]?.model.expr, rules[i]?.expr.trim());
    // Links: Grafana's templates cannot query; they read the labels of L (the rule's series joined with the links info), reduced as M.
    for (const [i, rule] of provisioned.entries()) {
      const source = rules[i];
      assert.ok(source !== undefined);
      assert.equal(readsLinks(source), true, `${rule.title} has links`);
      assert.deepEqual(rule.data.map((d) => (d as { refId?: string }).refId ?? ''), ['A', 'B', 'C', 'L', 'M'], rule.title);
      assert.equal(rule.data[3]?.model.expr, linksExpr(source.expr), `${rule.title}: L`);
      const annotations = (rule as unknown as { annotations: Record<string, string> }).annotations;
      for (const key of ['console_url', 'runbook_url', ...(source.annotations?.run_url === undefined ? [] : ['run_url'])]) {
        const text = annotations[key] ?? '';
        assert.match(text, /\{\{ with \$values\.M \}\}\{\{ \$\w+ = index \.Labels "(console|runbook)_url" \}\}\{\{ end \}\}/, `${rule.title}.${key}`);
        assert.doesNotMatch(text, /\bquery\b|synthetic_monitor_links_info/, `${rule.title}.${key}: nothing Grafana cannot run`);
      }
    }
    assert.throws(() => grafanaTemplate('{{ with query "synthetic_monitor_links_info" }}{{ . | first | label "console_url" }}{{ end }}', 'X.annotations.y'), /X\.annotations\.y: reads synthetic_monitor_links_info in a way the Grafana generator does not know/);
    assert.ok(provisioned.every((r) => r.uid.length <= 40), 'Grafana uids are at most 40 characters');
    const datasources = parse(readFileSync(join(PROJECT_ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yaml'), 'utf8')) as { datasources: { uid: string; type: string }[] };
    const uids = datasources.datasources.filter((d) => d.type === 'prometheus').map((d) => d.uid);
    for (const rule of provisioned) assert.ok(uids.includes(rule.data[0]?.datasourceUid ?? ''), `${rule.title}: datasource ${rule.data[0]?.datasourceUid ?? ''} is provisioned`);
  });
});
