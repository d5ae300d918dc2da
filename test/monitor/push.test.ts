import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startPushgateway, type Service } from '../helpers/prom-tools.js';
import { gpmon } from '../helpers/gpmon-cli.js';
import { admin } from '../helpers/sim-client.js';
import { pushRun } from '../../src/metrics/push.js';
import { runRecord } from '../helpers/records.js';

/** `gpmon run --push`: a one-shot run (a Kubernetes CronJob) lands in a real Pushgateway. */
describe('gpmon run --push', () => {
  let sim: Simulator;
  let gateway: Service;
  let runsDir: string;
  before(async () => {
    sim = await startSimulator();
    gateway = await startPushgateway();
    runsDir = mkdtempSync(join(tmpdir(), 'gpmon-push-runs-'));
  });
  after(async () => {
    await gateway.stop();
    await sim.stop();
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('pushes each run under a job named for the journey, grouped by target and location, carrying the failure streak; a pass ends it', async () => {
    const d = sim.description;
    const env = {
      GPMON_TARGET: 'cron-eu', GPMON_APP_URL: d.app, GPMON_AUTH_URL: d.auth, GPMON_API_URL: d.api, GPMON_WS_URL: d.ws,
      GPMON_LOGIN: 'bypass', GPMON_EMAIL: d.email, GPMON_BYPASS_KEY: d.bypassKey, GPMON_LOCATION: 'eu-west-1',
    };
    const push = () => gpmon(['run', 'golden-path-api', '--target', 'env', '--push', gateway.url, '--runs-dir', runsDir], env);
    const group = '{instance="",job="golden-path-api",journey="golden-path-api",location="eu-west-1",target="cron-eu"}';
    const value = async (name: string) => {
      const text = await (await fetch(`${gateway.url}/metrics`)).text();
      return new RegExp(`^${name}${group.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1];
    };
    assert.equal((await admin(d, 'POST', '/faults', { name: 'missing_event', event: 'tool_executing' })).status, 200);
    try {
      for (const expected of ['1', '2']) {
        const result = await push();
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.match(result.stderr, /location eu-west-1/);
        assert.equal(await value('synthetic_journey_consecutive_failures'), expected);
      }
    } finally {
      await admin(d, 'DELETE', '/faults');
    }
    // A monitor error in between (the monitor's fault, not the target's) changes nothing the alerts read.
    const errored = runRecord({
      id: 'error-run', outcome: 'error', target: 'cron-eu', startedAt: new Date().toISOString(), durationMs: 5,
      failure: { step: 'journey', reason: 'monitor_error', message: 'could not start playwright', evidence: {} },
    });
    const pushed = await pushRun(gateway.url, errored, { buckets: { step: [1], event: [1], journey: [1] }, steps: ['login'], alerting: { sloMs: {}, pageAfterFailures: 3, intervalSeconds: 30 }, location: 'eu-west-1', versions: { monitor: 'test', playwright: 'test' } });
    assert.deepEqual(pushed, { ok: true });
    assert.equal(await value('synthetic_journey_consecutive_failures'), '2');
    assert.equal(await value('synthetic_journey_success'), '0');
    assert.match(await (await fetch(`${gateway.url}/metrics`)).text(), /synthetic_journey_runs_total\{[^}]*outcome="error"[^}]*\} 1/);
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(text, /synthetic_journey_failure_info\{instance="",job="golden-path-api",journey="golden-path-api",location="eu-west-1",reason="event_missing",step="live_events",target="cron-eu"\} 1/);
    assert.equal(await value('synthetic_journey_page_after_failures'), '3');
    const passed = await push();
    assert.equal(passed.code, 0, passed.stdout + passed.stderr);
    assert.match(passed.stderr, /pushed to .* \(job golden-path-api, target cron-eu, location eu-west-1\)/);
    assert.equal(await value('synthetic_journey_consecutive_failures'), '0');
    assert.equal(await value('synthetic_journey_success'), '1');
    // Every 15 s, but a run may take up to its 30 s timeout before the next one starts.
    assert.equal(await value('synthetic_journey_interval_seconds'), '30');
    // The group holds the last run: its counters count that run.
    const last = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(last, /synthetic_step_duration_seconds_count\{instance="",job="golden-path-api",journey="golden-path-api",location="eu-west-1",step="login",target="cron-eu"\} 1/);
    assert.match(last, /synthetic_journey_runs_total\{instance="",job="golden-path-api",journey="golden-path-api",location="eu-west-1",outcome="passed",target="cron-eu",trigger="manual"\} 1/);
    assert.doesNotMatch(await (await fetch(`${gateway.url}/metrics`)).text(), /synthetic_journey_failure_info\{[^}]*target="cron-eu"/);
  });

  it('refuses a location that cannot be a label value', async () => {
    const result = await gpmon(['run', 'golden-path-api', '--target', 'env', '--push', gateway.url], { GPMON_LOCATION: 'eu west/1' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /GPMON_LOCATION: "eu west\/1" must be/);
  });

  it('a gateway that is not there is a clear error, exit 2', async () => {
    const d = sim.description;
    const result = await gpmon(['run', 'ws-auth-enforced', '--target', 'env', '--push', 'http://127.0.0.1:1', '--runs-dir', runsDir], {
      // An empty location is no location (a pod without the label), not a bad one.
      GPMON_LOCATION: '',
      GPMON_APP_URL: d.app, GPMON_AUTH_URL: d.auth, GPMON_API_URL: d.api, GPMON_WS_URL: d.ws, GPMON_LOGIN: 'bypass', GPMON_EMAIL: d.email, GPMON_BYPASS_KEY: d.bypassKey,
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--push http:\/\/127\.0\.0\.1:1: /);
  });
});
