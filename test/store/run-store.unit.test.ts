import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RunStore, STREAKS_SQL } from '../../src/store/run-store.js';
import type { Outcome, RunRecord } from '../../src/model/run-record.js';
import { runRecord } from '../helpers/records.js';

function record(id: string, outcome: Outcome, startedAt: string, journey = 'golden-path-api'): RunRecord {
  return runRecord({
    id, outcome, journey, startedAt, durationMs: 700,
    steps: [{ name: 'login', status: outcome === 'passed' ? 'passed' : 'failed' }],
    ...(outcome === 'passed' ? {} : { failure: { step: 'login', reason: 'auth_rejected', message: 'no', evidence: {} } }),
  });
}

describe('run store (SQLite)', () => {
  let dir: string;
  let store: RunStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpmon-store-'));
    store = RunStore.open(join(dir, 'gpmon.db'), dir);
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps finished runs, newest first, filtered by journey and outcome', () => {
    store.runFinished(record('a', 'passed', '2026-01-01T00:00:00.000Z'));
    store.runFinished(record('b', 'failed', '2026-01-01T00:01:00.000Z'));
    store.runFinished(record('c', 'passed', '2026-01-01T00:02:00.000Z', 'golden-path'));
    assert.deepEqual(store.list().map((r) => r.id), ['c', 'b', 'a']);
    assert.deepEqual(store.list({ journey: 'golden-path-api' }).map((r) => r.id), ['b', 'a']);
    assert.deepEqual(store.list({ outcome: 'failed' }).map((r) => r.id), ['b']);
    assert.deepEqual(store.list({ limit: 1 }).map((r) => r.id), ['c']);
    assert.equal(store.get('b')?.failure?.reason, 'auth_rejected');
    assert.equal(store.get('nope'), undefined);
  });

  it('reports where each journey stands: last success, failures since, the latest failure', () => {
    const other = (id: string, outcome: Outcome, at: string, step = 'login', reason = 'auth_rejected'): RunRecord => {
      const base = record(id, outcome, at);
      return { ...base, target: 'other', ...(base.failure ? { failure: { ...base.failure, step, reason: reason as 'auth_rejected' } } : {}) };
    };
    const fresh = RunStore.open(join(dir, 'standings.db'), dir);
    fresh.runFinished(record('p1', 'passed', '2026-01-01T00:02:00.000Z', 'golden-path'));
    // target "other": failed, passed, failed, error (does not count or break), failed (connect/ws_subprotocol).
    fresh.runFinished(other('o1', 'failed', '2026-01-01T00:00:00.000Z'));
    fresh.runFinished(other('o2', 'passed', '2026-01-01T00:00:10.000Z'));
    fresh.runFinished(other('o3', 'failed', '2026-01-01T00:00:20.000Z'));
    fresh.runFinished(other('o4', 'error', '2026-01-01T00:00:30.000Z', 'journey', 'monitor_error'));
    fresh.runFinished(other('o5', 'failed', '2026-01-01T00:00:40.000Z', 'connect', 'ws_subprotocol'));
    const standings = fresh.standings().sort((x, y) => (x.journey === y.journey ? 0 : x.journey < y.journey ? -1 : 1));
    assert.deepEqual(standings, [
      { journey: 'golden-path', target: 'sim', lastRunAt: '2026-01-01T00:02:00.000Z', lastSuccessAt: '2026-01-01T00:02:00.000Z', consecutiveFailures: 0 },
      { journey: 'golden-path-api', target: 'other', lastRunAt: '2026-01-01T00:00:40.000Z', lastSuccessAt: '2026-01-01T00:00:10.000Z', consecutiveFailures: 2, lastFailure: { step: 'connect', reason: 'ws_subprotocol' } },
    ]);
    fresh.close();
  });

  it("finds each journey's last pass by the standings index, not by scanning its runs once per failed run", () => {
    // At the retention limits (5,000 passes and 5,000 failures) a scan per failed run held start-up for seconds.
    const plan = new Database(join(dir, 'gpmon.db'), { readonly: true });
    try {
      const steps = (plan.prepare(`EXPLAIN QUERY PLAN ${STREAKS_SQL}`).all() as { detail: string }[]).map((row) => row.detail);
      const lastPass = steps.filter((detail) => /\bp\b/.test(detail));
      assert.ok(lastPass.length > 0 && lastPass.every((detail) => /SEARCH p USING (COVERING )?INDEX runs_standing/.test(detail)), steps.join('\n'));
    } finally {
      plan.close();
    }
  });

    it('closes a run left in flight as error at the next open', () => {
    store.runStarted({ id: 'inflight', journey: 'golden-path', target: 'sim', trigger: 'manual', startedAt: '2026-01-01T00:03:00.000Z', inputs: { prompt: 'p', expectedAnswer: '.' }, steps: ['login', 'connect'] });
    assert.equal(store.isRunning('inflight'), true);
    store.close();
    store = RunStore.open(join(dir, 'gpmon.db'), dir);
    const recovered = store.recoverInterrupted(new Date('2026-01-01T00:03:05.000Z'));
    assert.deepEqual(recovered.map((r) => [r.id, r.outcome, r.failure?.reason, r.durationMs]), [['inflight', 'error', 'monitor_error', 5000]]);
    assert.deepEqual(store.get('inflight')?.steps.map((s) => s.status), ['skipped', 'skipped']);
    assert.deepEqual(store.recoverInterrupted(new Date()), [], 'once only');
  });

  it('prunes by age and count, keeping failures longer, and removes their run folders', async () => {
    const now = new Date('2026-02-01T00:00:00.000Z');
    for (const id of ['a', 'b', 'c', 'inflight']) {
      mkdirSync(join(dir, id), { recursive: true });
      writeFileSync(join(dir, id, 'transcript.jsonl'), '{}\n');
    }
    // Passes older than 7 days go; failures younger than 60 days stay.
    const removed = await store.prune({ maxAgeDays: 7, maxRuns: 100, failedMaxAgeDays: 60, failedMaxRuns: 100 }, now);
    assert.deepEqual(removed.sort(), ['a', 'c']);
    assert.equal(existsSync(join(dir, 'a')), false);
    assert.equal(existsSync(join(dir, 'b')), true);
    // Only the newest failure is kept by count.
    assert.deepEqual(await store.prune({ maxAgeDays: 7, maxRuns: 100, failedMaxAgeDays: 60, failedMaxRuns: 1 }, now), ['b']);
    assert.deepEqual(store.list().map((r) => r.id), ['inflight']);
  });
});
