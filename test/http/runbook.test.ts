import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { parse } from 'yaml';
import { RULES_FILE, type PrometheusRuleFile } from '../../scripts/grafana-alerts.js';
import { RUNBOOK_FILE, createRunbookRouter, renderRunbook } from '../../src/http/runbook.js';
import { Views } from '../../src/http/views.js';
import { createMetricsRegistry, MonitorMetrics } from '../../src/metrics/monitor-metrics.js';
import { startDaemonHarness, type DaemonHarness } from '../helpers/daemon-harness.js';
import { parseMetrics } from '../helpers/prom-tools.js';

/**
 * The runbook gpmon serves at /runbook (the default target of every alert's
 * runbook_url), and the links the monitor exports for the alerts and the
 * dashboard (synthetic_monitor_links_info).
 */

/** Every anchor the alert rules' runbook_url annotations point at. */
const ruleAnchors = [
  ...new Set(
    (parse(readFileSync(RULES_FILE, 'utf8')) as PrometheusRuleFile).groups
      .flatMap((g) => g.rules)
      .flatMap((rule) => [...(rule.annotations?.runbook_url ?? '').matchAll(/#([a-z0-9-]+)/g)].map((m) => m[1] ?? '')),
  ),
];

describe('the runbook page', () => {
  it('renders docs/runbook.md with GitHub’s heading ids, a section list, and tables that scroll on a narrow screen', () => {
    const { html, sections } = renderRunbook(readFileSync(RUNBOOK_FILE, 'utf8'));
    assert.ok(ruleAnchors.length >= 10, `${ruleAnchors.length} anchors in the rules`);
    for (const anchor of ruleAnchors) assert.match(html, new RegExp(`<h2 id="${anchor}">`), `#${anchor}`);
    assert.ok(sections.some((s) => s.id === 'opening-the-failing-run' && s.text === 'Opening the failing run'), JSON.stringify(sections));
    assert.deepEqual(sections.filter((s) => ruleAnchors.includes(s.id)).length, ruleAnchors.length, 'every alert’s section is listed');
    const tables = html.match(/<table>/g)?.length ?? 0;
    assert.ok(tables >= 3, `${tables} tables`);
    assert.equal(html.match(/<div class="table-wrap" tabindex="0" role="region" aria-label="[^"]+"><table>/g)?.length, tables, "every table wrapped, in a region the keyboard can scroll");
    // The same ids GitHub gives: lower-cased, punctuation dropped, spaces as dashes.
    assert.match(renderRunbook('## Hello, World: Again\n').html, /<h2 id="hello-world-again">/);
  });

  describe('served by gpmon serve, with an external URL behind a path prefix', () => {
    let h: DaemonHarness;
    before(async () => {
      // No journey runs: the page and the metrics are all this is about.
      h = await startDaemonHarness({}, { server: { port: 0, externalUrl: 'https://gpmon.example.test/ops/' } });
    });
    after(async () => {
      await h.stop();
    });

    it('GET /runbook is a console page with every section an alert links to, under the console’s security headers', async () => {
      const page = await h.api('GET', '/runbook', { token: null });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.match(page.text, /<title>Runbook · gpmon<\/title>/);
      assert.match(page.text, /<main id="main">/);
      assert.match(page.text, /<nav aria-label="Runbook sections"/);
      for (const anchor of ruleAnchors) assert.match(page.text, new RegExp(` id="${anchor}"`), `#${anchor}`);
      assert.match(page.text, /<a href="#goldenpathdown">GoldenPathDown<\/a>/);
    });

    it('exports the links for the alerts and the dashboard: the console without its trailing slash, the runbook under it', async () => {
      const metrics = parseMetrics((await h.api('GET', '/metrics', { token: null })).text);
      const links = [...metrics.entries()].filter(([series]) => series.startsWith('synthetic_monitor_links_info'));
      assert.deepEqual(links, [['synthetic_monitor_links_info{console_url="https://gpmon.example.test/ops",runbook_url="https://gpmon.example.test/ops/runbook"}', 1]]);
    });
  });

  it('an install without docs/runbook.md answers 404 with a page that says so and how to link another copy', async () => {
    const app = express();
    app.use(createRunbookRouter({ views: new Views(), logger: pino({ level: 'silent' }), file: '/nonexistent/gpmon/runbook.md' }));
    const server: Server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/runbook`);
      const text = await answer.text();
      assert.equal(answer.status, 404);
      assert.match(text, /has no <code>docs\/runbook\.md<\/code>/);
      assert.match(text, /GPMON_RUNBOOK_URL/);
      assert.doesNotMatch(text, /nonexistent|ENOENT/, 'no path or error code shown');
    } finally {
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    }
  });
});

describe('synthetic_monitor_links_info', () => {
  const linksSeries = async (links: ConstructorParameters<typeof MonitorMetrics>[0]['links']) => {
    const registry = createMetricsRegistry();
    new MonitorMetrics({ registry, buckets: { step: [1], event: [1], journey: [1] }, version: 'test', playwrightVersion: 'test', ...(links === undefined ? {} : { links }) });
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'synthetic_monitor_links_info');
    assert.ok(metric !== undefined, 'registered, so dashboards and rules can name it');
    return (metric as unknown as { values: { labels: Record<string, string>; value: number }[] }).values;
  };

  it('is absent when neither URL is set (the alerts then give paths and say what to set), one series when either is', async () => {
    assert.deepEqual(await linksSeries(undefined), []);
    assert.deepEqual(await linksSeries({ consoleUrl: undefined, runbookUrl: undefined }), []);
    assert.deepEqual(await linksSeries({ runbookUrl: 'https://wiki.example.test/gpmon' }), [{ labels: { console_url: '', runbook_url: 'https://wiki.example.test/gpmon' }, value: 1 }]);
    assert.deepEqual(await linksSeries({ consoleUrl: 'https://gpmon.example.test', runbookUrl: 'https://gpmon.example.test/runbook' }), [{ labels: { console_url: 'https://gpmon.example.test', runbook_url: 'https://gpmon.example.test/runbook' }, value: 1 }]);
  });
});
