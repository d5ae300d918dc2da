import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { startDaemonHarness, type DaemonHarness } from '../helpers/daemon-harness.js';
import { parseMetrics, waitFor } from '../helpers/prom-tools.js';
import { PROJECT_ROOT } from '../helpers/journey-harness.js';
import type { RunRecord } from '../../src/model/run-record.js';

const API = 'golden-path-api';

/**
 * Another process holds the history's write lock while runs start and
 * finish: HTTP answers stay fast (nothing waits on SQLite on the event loop),
 * and every run counted in the metrics ends up in the history once the lock
 * goes. The lock is held until the test lets go, so the runs surely finish
 * under it, however loaded the machine is.
 */
describe('a locked run history', () => {
  let h: DaemonHarness;
  before(async () => {
    h = await startDaemonHarness({ 'golden-path': { enabled: false }, 'ws-auth-enforced': { enabled: false }, [API]: { schedule: '0 0 0 1 1 *', stepTimeoutMs: 5000, timeoutMs: 30_000 } });
  });
  after(async () => {
    await h.stop();
  });

  it('never stalls /healthz or /metrics, and loses no run', async () => {
    const counted = async () => {
      const m = parseMetrics((await h.api('GET', '/metrics', { token: null })).text);
      return [...m.entries()].filter(([key]) => key.startsWith(`synthetic_journey_runs_total{journey="${API}"`)).reduce((sum, [, value]) => sum + value, 0);
    };
    const stored = async () => ((await h.api('GET', `/api/runs?journey=${API}&limit=1000`)).json as { runs: RunRecord[] }).runs.length;
    const db = join(h.dir, 'runs', 'gpmon.db');
    const script = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(db)}); db.exec('BEGIN IMMEDIATE'); console.log('locked'); process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });`;
    const holder = spawn(process.execPath, ['-e', script], { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await once(holder.stdout, 'data');
      const slowest: Record<string, number> = { '/healthz': 0, '/metrics': 0 };
      let locked = true;
      const probing = (async () => {
        while (locked) {
          for (const path of Object.keys(slowest)) {
            const started = performance.now();
            const answer = await h.api('GET', path, { token: null });
            assert.equal(answer.status, 200);
            slowest[path] = Math.max(slowest[path] ?? 0, performance.now() - started);
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      // Two runs start and finish while the lock is held: their start and finish writes both find it locked.
      for (let i = 0; i < 2; i++) {
        const started = h.daemon.runs.trigger({ journey: API, target: 'sim', trigger: 'manual' });
        assert.equal(started.kind, 'started');
        if (started.kind === 'started') await started.done;
      }
      assert.equal(await counted(), 2, 'both runs are in the metrics');
      assert.equal(await stored(), 0, 'neither is in the history while it is locked');
      assert.equal((await h.api('GET', '/api/runs?limit=1')).status, 200, 'reads still answer (WAL readers are not blocked by a writer)');
      locked = false;
      await probing;
      // A probe's timeout is 1 s; a write waiting on the lock would hold the event loop for seconds.
      for (const [path, ms] of Object.entries(slowest)) assert.ok(ms < 1000, `${path} took ${Math.round(ms)} ms while the history was locked`);
    } finally {
      holder.stdin.end('go\n');
      if (holder.exitCode === null) await once(holder, 'exit');
    }
    // Once the lock is gone the deferred records go in: the history has every run the metrics counted.
    await waitFor('the history to catch up with the metrics', async () => ((await stored()) === 2 ? true : undefined), 20_000);
    const runs = ((await h.api('GET', `/api/runs?journey=${API}`)).json as { runs: RunRecord[] }).runs;
    assert.ok(runs.every((run) => run.outcome === 'passed' && run.steps.length === 5), 'stored as finished records, not as runs in flight');
  });
});
