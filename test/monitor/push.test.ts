import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startPushgateway, type Service } from '../helpers/prom-tools.js';
import { gpmon } from '../helpers/gpmon-cli.js';

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

  it('pushes the run under a job named for the journey, grouped by target', async () => {
    const d = sim.description;
    const result = await gpmon(['run', 'golden-path-api', '--target', 'env', '--push', gateway.url, '--runs-dir', runsDir], {
      GPMON_TARGET: 'cron-sim', GPMON_APP_URL: d.app, GPMON_AUTH_URL: d.auth, GPMON_API_URL: d.api, GPMON_WS_URL: d.ws,
      GPMON_LOGIN: 'bypass', GPMON_EMAIL: d.email, GPMON_BYPASS_KEY: d.bypassKey,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stderr, /pushed to/);
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(text, /synthetic_journey_success\{instance="",job="golden-path-api",journey="golden-path-api",target="cron-sim"\} 1/);
    assert.match(text, /synthetic_step_duration_seconds_count\{instance="",job="golden-path-api",journey="golden-path-api",step="login",target="cron-sim"\} 1/);
    assert.match(text, /synthetic_journey_runs_total\{instance="",job="golden-path-api",journey="golden-path-api",outcome="passed",target="cron-sim",trigger="manual"\} 1/);
  });

  it('a gateway that is not there is a clear error, exit 2', async () => {
    const d = sim.description;
    const result = await gpmon(['run', 'ws-auth-enforced', '--target', 'env', '--push', 'http://127.0.0.1:1', '--runs-dir', runsDir], {
      GPMON_APP_URL: d.app, GPMON_AUTH_URL: d.auth, GPMON_API_URL: d.api, GPMON_WS_URL: d.ws, GPMON_LOGIN: 'bypass', GPMON_EMAIL: d.email, GPMON_BYPASS_KEY: d.bypassKey,
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--push http:\/\/127\.0\.0\.1:1: /);
  });
});
