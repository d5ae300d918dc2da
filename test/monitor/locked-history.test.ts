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
const LOCK_MS = 10_000;

/**
 * Another process holds the history's write lock for 10 s while runs finish:
 * HTTP answers stay fast (nothing waits on SQLite on the event loop), and
 * every run counted in the metrics ends up in the history once the lock goes.
 */
describe('a locked run history', () => {
  let h: DaemonHarness;
  before(async () => {
    h = await startDaemonHarness({ 'golden-path': { enabled: false }, 'ws-auth-enforced': { enabled: false }, [API]: { schedule: '*/2 * * * * *', stepTimeoutMs: 3000, timeoutMs: 15_000 } });
  });
  after(async () => {
    await h.stop();
  });

  it('never stalls /healthz or /metrics, and loses no run', async () => {
    await waitFor('a first run stored', async () => (((await h.api('GET', `/api/runs?journey=${API}`)).json as { runs: RunRecord[] }).runs.length > 0 ? true : undefined), 60_000);
    const db = join(h.dir, 'runs', 'gpmon.db');
    const script = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(db)}); db.exec('BEGIN IMMEDIATE'); console.log('locked'); setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${LOCK_MS});`;
    const counted = async () => {
      const m = parseMetrics((await h.api('GET', '/metrics', { token: null })).text);
      return [...m.entries()].filter(([key]) => key.startsWith(`synthetic_journey_runs_total{journey="${API}"`)).reduce((sum, [, value]) => sum + value, 0);
    };
    const stored = async () => ((await h.api('GET', `/api/runs?journey=${API}&limit=1000`)).json as { runs: RunRecord[] }).runs.length;
    const holder = spawn(process.execPath, ['-e', script], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    await once(holder.stdout, 'data');
    const before = await counted();
    const slowest: Record<string, number> = { '/healthz': 0, '/metrics': 0 };
    const during = (async () => {
      while (holder.exitCode === null) {
        for (const path of Object.keys(slowest)) {
          const started = performance.now();
          const answer = await h.api('GET', path, { token: null });
          assert.equal(answer.status, 200);
          slowest[path] = Math.max(slowest[path] ?? 0, performance.now() - started);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    await once(holder, 'exit');
    await during;
    // A probe's timeout is 1 s; a write waiting on the lock would hold the event loop for seconds.
    for (const [path, ms] of Object.entries(slowest)) assert.ok(ms < 1000, `${path} took ${Math.round(ms)} ms while the history was locked`);

    const finishedWhileLocked = (await counted()) - before;
    assert.ok(finishedWhileLocked >= 1, `runs finished while the history was locked: ${finishedWhileLocked}`);
    // Once the lock is gone the deferred records go in: the history has every run the metrics counted.
    await waitFor('the history to catch up with the metrics', async () => {
      const [c, s] = [await counted(), await stored()];
      return c === s ? true : undefined;
    }, 20_000);
  });
});
