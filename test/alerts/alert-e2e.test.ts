import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startAlertStack, type AlertStack } from '../helpers/alert-stack.js';
import { admin } from '../helpers/sim-client.js';
import type { RunRecord } from '../../src/model/run-record.js';

/** A journey that is only a file in a test fixture folder (the config's journeyDirs), with steps of its own: sign_in, open_session. */
const EXAMPLE = 'account-check';
const EXAMPLE_DIR = fileURLToPath(new URL('../fixtures/example-journeys', import.meta.url));
/** Where the monitor says people reach it (server.externalUrl), with a path prefix as behind a proxy. */
const EXTERNAL_URL = 'https://gpmon.example.test/ops';

/**
 * From a fault in the target to the page that names it, with real parts:
 * simulator → gpmon serve → Prometheus (the project's rules) → Alertmanager →
 * a webhook. Times are printed as diagnostics; `npm run bench` reports them.
 * Beside golden-path-api the monitor runs the example journey, found only in
 * its journeyDirs folder: its failures page with its own step names.
 */
describe('alerts end to end', () => {
  let stack: AlertStack;
  const labels = () => ({ journey: stack.journey, target: 'sim' });
  const runs = async (journey: string, query: string) => ((await stack.api(`/api/runs?journey=${journey}&${query}`)) as { runs: RunRecord[] }).runs;

  before(async () => {
    // Over TLS, as staging is; platform-health beside them for the certificate and dependency alerts, whose 5 minutes
    // of DependencyDegraded are cut to seconds here (its expression and labels are the shipped ones).
    // A 5 s step timeout: three test files share the two cores here, and a run that times out under that load would
    // join a fault's streak as a failure of its own (`npm run bench` measures fault-to-page at 3 s, alone).
    // The monitor knows where people reach it: every alert links there (run_url, console_url, runbook_url).
    stack = await startAlertStack({ journeyDirs: [EXAMPLE_DIR], alsoRun: [EXAMPLE, 'platform-health'], tls: true, shortenFor: { DependencyDegraded: '3s' }, timeoutMs: 5000, externalUrl: EXTERNAL_URL });
    await stack.waitHealthy();
  });
  after(async () => {
    await stack.stop();
  });

  /** Fault on → GoldenPathDown naming journey (golden-path-api unless `journey` says), step and reason; fault off → resolved. */
  async function faultPages(fault: Record<string, unknown>, step: string, reason: string, t: { diagnostic: (m: string) => void }, journey = stack.journey): Promise<void> {
    const { on, firing, off, resolved } = await stack.pageFor(fault, journey);
    t.diagnostic(`${journey} ${String(fault.name)}: fault to page ${firing.receivedAt - on} ms`);
    assert.equal(firing.labels.journey, journey);
    assert.equal(firing.labels.step, step);
    assert.equal(firing.labels.reason, reason);
    assert.equal(firing.labels.severity, 'page');
    for (const word of [journey, 'sim', step, reason]) {
      assert.ok(firing.annotations.summary?.includes(word), `summary names ${word}: ${firing.annotations.summary ?? ''}`);
      assert.ok(firing.annotations.description?.includes(word), `description names ${word}: ${firing.annotations.description ?? ''}`);
    }
    // Absolute links from the monitor's synthetic_monitor_links_info: the last failed run, the journey's page, the runbook it serves.
    assert.deepEqual([firing.annotations.run_url, firing.annotations.console_url, firing.annotations.runbook_url], [
      `${EXTERNAL_URL}/journeys/${journey}/last-failure?target=sim`,
      `${EXTERNAL_URL}/journeys/${journey}?target=sim`,
      `${EXTERNAL_URL}/runbook#goldenpathdown`,
    ]);
    // One failed run alone does not page: the alert started only once N runs in a row had failed. A run in
    // flight when the fault went on may be the first of them (it met the fault mid-run), so runs are counted
    // by when they finished: the last N to finish before the alert all failed, at this step, for this reason.
    const finished = (await runs(journey, 'limit=50'))
      .filter((r) => Date.parse(r.finishedAt) >= on && Date.parse(r.finishedAt) <= Date.parse(firing.startsAt))
      .sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt));
    const lastN = finished.slice(-stack.pageAfterFailures);
    assert.equal(lastN.length, stack.pageAfterFailures, `${finished.length} runs finished between the fault and the alert`);
    assert.ok(lastN.every((r) => r.outcome === 'failed' && r.failure?.step === step && r.failure.reason === reason), JSON.stringify(finished.map((r) => [r.outcome, r.failure?.step, r.failure?.reason])));
    assert.equal(resolved.labels.journey, journey);
    assert.equal(resolved.labels.step, step);
    assert.equal(resolved.labels.reason, reason);
    t.diagnostic(`${journey} ${String(fault.name)}: fault cleared to resolved ${resolved.receivedAt - off} ms`);
  }

  it('the server echoing a subprotocol the client did not offer pages as connect / ws_subprotocol, and resolves', async (t) => {
    await faultPages({ name: 'subprotocol_mismatch' }, 'connect', 'ws_subprotocol', t);
  });

  it('a missing critical event pages as live_events / event_missing, and resolves', async (t) => {
    await faultPages({ name: 'missing_event', event: 'tool_executing' }, 'live_events', 'event_missing', t);
  });

  it(`a journey found only in a journeyDirs folder pages with its own step: a rejected login is ${EXAMPLE} / sign_in / auth_rejected, and resolves`, async (t) => {
    await faultPages({ name: 'login_rejected' }, 'sign_in', 'auth_rejected', t, EXAMPLE);
  });

  it('a deploy CI announced that never takes effect pages as GoldenPathDeployNotEffective, naming the revision; live, it resolves', async (t) => {
    const d = stack.sim.description;
    await admin(d, 'POST', '/faults', { name: 'deploy_stuck' });
    await admin(d, 'POST', '/deploy', { revision: 'dead0000beef', switchAfterMs: 0 });
    const announced = Date.now();
    const posted = await stack.post('/api/targets/sim/expected-revision', { revision: 'dead0000beef', within: '2s' });
    assert.equal(posted.status, 201, JSON.stringify(posted.json));
    const firing = await stack.waitForNotification('GoldenPathDeployNotEffective', { target: 'sim', revision: 'dead0000beef' }, 'firing', announced);
    t.diagnostic(`deploy announced to page ${firing.receivedAt - announced} ms (window 2 s)`);
    assert.equal(firing.labels.severity, 'page');
    assert.equal(firing.labels.reason, 'deploy_not_effective');
    assert.match(firing.annotations.description ?? '', /CI deployed revision dead0000beef to sim, but the target's \/api\/system\/info still reports another revision/);
    // The rollout goes through: the next run reads the revision, and the page resolves.
    const released = Date.now();
    await admin(d, 'DELETE', '/faults/deploy_stuck');
    const resolved = await stack.waitForNotification('GoldenPathDeployNotEffective', { target: 'sim', revision: 'dead0000beef' }, 'resolved', released);
    t.diagnostic(`deploy live to resolved ${resolved.receivedAt - released} ms`);
  });

  it('a certificate under 14 days tickets and under 3 days pages, naming the origin; renewed, both resolve', async (t) => {
    const d = stack.sim.description;
    const on = Date.now();
    await admin(d, 'POST', '/faults', { name: 'cert_expiring', days: 10 });
    const ticket = await stack.waitForNotification('TLSCertificateExpiringSoon', { target: 'sim', origin: 'api', severity: 'ticket' }, 'firing', on);
    t.diagnostic(`10-day certificate to ticket ${ticket.receivedAt - on} ms`);
    assert.match(ticket.annotations.summary ?? '', /sim: the api origin's TLS certificate expires in (9d 23h|10d 0h)/);
    const closer = Date.now();
    await admin(d, 'POST', '/faults', { name: 'cert_expiring', days: 2 });
    const page = await stack.waitForNotification('TLSCertificateExpiringSoon', { target: 'sim', origin: 'auth', severity: 'page' }, 'firing', closer);
    t.diagnostic(`2-day certificate to page ${page.receivedAt - closer} ms`);
    const renewed = Date.now();
    await admin(d, 'DELETE', '/faults/cert_expiring');
    await stack.waitForNotification('TLSCertificateExpiringSoon', { target: 'sim', origin: 'auth', severity: 'page' }, 'resolved', renewed);
  });

  it('a degraded dependency tickets as DependencyDegraded naming it, and the journeys still pass; healthy again, it resolves', async (t) => {
    const d = stack.sim.description;
    const on = Date.now();
    await admin(d, 'POST', '/faults', { name: 'dependency_degraded', dependency: 'redis', latency_ms: 850 });
    const ticket = await stack.waitForNotification('DependencyDegraded', { target: 'sim', dependency: 'redis' }, 'firing', on);
    t.diagnostic(`dependency degraded to ticket ${ticket.receivedAt - on} ms`);
    assert.equal(ticket.labels.severity, 'ticket');
    const healthy = (await stack.prometheus.query('synthetic_journey_success{journey="platform-health"} == 1')).length;
    assert.equal(healthy, 1, 'degraded is up: platform-health passes');
    const off = Date.now();
    await admin(d, 'DELETE', '/faults/dependency_degraded');
    await stack.waitForNotification('DependencyDegraded', { target: 'sim', dependency: 'redis' }, 'resolved', off);
  });

  it('a dead monitor pages as stale (not as the target down), and resolves once it runs again', async (t) => {
    const killed = Date.now();
    await stack.killMonitor();
    // Every journey it ran goes stale: the one from journeyDirs too.
    const [stale, exampleStale] = await Promise.all([labels(), { journey: EXAMPLE, target: 'sim' }].map((l) => stack.waitForNotification('GoldenPathMonitorStale', l, 'firing', killed)));
    assert.ok(stale !== undefined && exampleStale !== undefined);
    t.diagnostic(`monitor killed to stale page ${stale.receivedAt - killed} ms`);
    assert.equal(stale.labels.severity, 'page');
    assert.ok(stale.annotations.summary?.includes(stack.journey) && stale.annotations.summary.includes('sim'), stale.annotations.summary);
    assert.ok(exampleStale.annotations.summary?.includes(EXAMPLE), exampleStale.annotations.summary);
    assert.equal(stack.notifications.filter((n) => n.receivedAt >= killed && n.labels.alertname === 'GoldenPathDown' && n.status === 'firing').length, 0, 'a dead monitor is not the target down');
    const restarted = Date.now();
    await stack.startMonitor();
    const resolved = await stack.waitForNotification('GoldenPathMonitorStale', labels(), 'resolved', restarted);
    t.diagnostic(`monitor restarted to stale resolved ${resolved.receivedAt - restarted} ms`);
  });

  it('no alert fired that the faults did not cause', () => {
    const caused = ['GoldenPathDown', 'GoldenPathMonitorStale', 'GoldenPathDeployNotEffective', 'TLSCertificateExpiringSoon', 'DependencyDegraded'];
    // The deploy test's new revision is, for 15 minutes, context (info): caused too.
    const unexpected = stack.notifications.filter((n) => n.status === 'firing' && !caused.includes(n.labels.alertname ?? '') && !(n.labels.alertname === 'GoldenPathRevisionChanged' && n.labels.revision === 'dead0000beef'));
    assert.deepEqual(unexpected.map((n) => n.labels), []);
  });
});
