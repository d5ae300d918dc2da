import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { targetFor } from '../helpers/daemon-harness.js';
import { parseMetrics, waitFor } from '../helpers/prom-tools.js';
import { OWNER_VARIABLE, killRunOrphans, newOwner } from '../helpers/processes.js';
import { spawnServe } from '../helpers/serve-child.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { RunStore } from '../../src/store/run-store.js';
import { runRecord } from '../helpers/records.js';
import { onlyJourneys } from '../helpers/shipped.js';

/** kill -9 during a run, then start again: history intact, the interrupted run closed as error, last success restored. */

const TOKEN = 'restart-test-token-0123456789';
const owner = newOwner();

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  get(path: string): Promise<{ status: number; json: unknown; text: string }>;
}

async function serve(config: string, env: NodeJS.ProcessEnv): Promise<Served> {
  const { child, url } = await spawnServe(config, env);
  return {
    child,
    url,
    get: async (path) => {
      const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const text = await response.text();
      return { status: response.status, json: text.startsWith('{') ? (JSON.parse(text) as unknown) : undefined, text };
    },
  };
}

describe('restart after kill -9', () => {
  let sim: Simulator;
  let dir: string;
  before(async () => {
    sim = await startSimulator();
    dir = mkdtempSync(join(tmpdir(), 'gpmon-restart-'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    const base = { targets: [targetFor(sim)], server: { port: 0 }, runs: { dir: join(dir, 'runs'), passEnv: [OWNER_VARIABLE] } };
    const journeys = (schedule: string) => onlyJourneys({ 'golden-path-api': { schedule, stepTimeoutMs: 20_000, timeoutMs: 30_000 } });
    writeFileSync(join(dir, 'first.config.ts'), `export default ${JSON.stringify({ ...base, journeys: journeys('*/2 * * * * *') })};\n`);
    // The second start must not run anything by itself: what it shows is what it restored.
    writeFileSync(join(dir, 'second.config.ts'), `export default ${JSON.stringify({ ...base, journeys: journeys('0 0 0 1 1 *') })};\n`);
  });
  after(async () => {
    killRunOrphans(owner);
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes the interrupted run as error, keeps history, restores the last success, and stops cleanly on SIGTERM', async () => {
    const env = { GPMON_API_TOKEN: TOKEN, SIM_BYPASS_KEY: sim.description.bypassKey, [OWNER_VARIABLE]: owner };
    const first = await serve(join(dir, 'first.config.ts'), env);
    let passed: RunRecord;
    let inFlight: string;
    try {
      passed = await waitFor('a passed run', async () => ((await first.get('/api/runs?outcome=passed&limit=1')).json as { runs: RunRecord[] }).runs[0]);
      // Hold the next run in flight: the agent takes 15 s to start.
      sim.state.enable({ name: 'slow_phase', phase: 'agent_start', ms: 15_000 });
      inFlight = await waitFor('a run in flight', async () => {
        const journeys = ((await first.get('/api/journeys')).json as { journeys: { name: string; running: string | null }[] }).journeys;
        return journeys.find((j) => j.name === 'golden-path-api')?.running ?? undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
      killRunOrphans(owner);
      sim.state.clearFaults();
    }
    const lastSuccess = Date.parse(passed.finishedAt) / 1000;

    // A journey the second config does not run, which failed on security before: it must not come back as a page.
    const store = RunStore.open(join(dir, 'runs', 'gpmon.db'), join(dir, 'runs'));
    store.runFinished(runRecord({
      id: 'old-security-failure', outcome: 'failed', journey: 'ws-auth-enforced', startedAt: new Date().toISOString(),
      failure: { step: 'no_token', reason: 'security', message: 'accepted', evidence: {} }, steps: [{ name: 'no_token', status: 'failed' }],
    }));
    store.close();

    const second = await serve(join(dir, 'second.config.ts'), env);
    try {
      const interrupted = (await second.get(`/api/runs/${inFlight}`)).json as RunRecord;
      assert.equal(interrupted.outcome, 'error');
      assert.equal(interrupted.failure?.reason, 'monitor_error');
      assert.match(interrupted.failure.message, /stopped while this run was in flight/);
      const history = ((await second.get('/api/runs?limit=100')).json as { runs: RunRecord[] }).runs;
      assert.ok(history.some((r) => r.id === passed.id), 'the passed run is still there');
      const metrics = parseMetrics((await second.get('/metrics')).text);
      const restored = metrics.get('synthetic_journey_last_success_timestamp_seconds{journey="golden-path-api",target="sim"}') ?? 0;
      assert.ok(Math.abs(restored - lastSuccess) < 0.01 || restored > lastSuccess, `restored ${restored}, last success ${lastSuccess}`);
      assert.ok((metrics.get('synthetic_journey_runs_total{journey="golden-path-api",target="sim",outcome="error",trigger="schedule"}') ?? 0) >= 1);
      // The interrupted run did not run: the last-run time (what "stale" counts from) is the last run that finished.
      const lastFinished = Math.max(...history.filter((r) => r.id !== inFlight && r.journey === 'golden-path-api').map((r) => Date.parse(r.finishedAt) / 1000));
      const lastRun = metrics.get('synthetic_journey_last_run_timestamp_seconds{journey="golden-path-api",target="sim"}') ?? 0;
      assert.ok(Math.abs(lastRun - lastFinished) < 0.01, `last run ${lastRun}, last finished ${lastFinished}`);
      assert.equal([...metrics.keys()].filter((k) => k.includes('journey="ws-auth-enforced"')).length, 0, 'nothing restored for a journey the config does not run');
    } finally {
      second.child.kill('SIGTERM');
      const [code] = (await once(second.child, 'exit')) as [number | null];
      assert.equal(code, 0, 'a graceful shutdown exits 0');
    }
  });
});
