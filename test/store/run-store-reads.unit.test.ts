import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../src/store/run-store.js';
import { summarise } from '../../src/model/journey-status.js';
import type { Outcome, RunRecord } from '../../src/model/run-record.js';
import { runRecord } from '../helpers/records.js';

const NOW = new Date('2026-03-08T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

function run(id: string, outcome: Outcome, agoMinutes: number, more: Partial<RunRecord> = {}): RunRecord {
  return runRecord({
    id,
    outcome,
    startedAt: minutesAgo(agoMinutes),
    finishedAt: minutesAgo(agoMinutes - 0.5),
    ...(outcome === 'passed' ? {} : { failure: { step: outcome === 'error' ? 'journey' : 'connect', reason: outcome === 'error' ? 'monitor_error' : 'ws_auth', message: `${id} broke`, evidence: {} } }),
    ...more,
  });
}

describe('run store: the console\'s read queries', () => {
  let dir: string;
  let store: RunStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpmon-store-reads-'));
    store = RunStore.open(join(dir, 'gpmon.db'), dir);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('journeyHistory: recent runs newest first, the streak (errors neither count nor break it), counts by window', () => {
    const runs = [
      run('old-fail', 'failed', 8 * 24 * 60),
      run('week-pass', 'passed', 3 * 24 * 60),
      run('pass', 'passed', 60),
      run('f1', 'failed', 50),
      run('e1', 'error', 40),
      run('f2', 'failed', 30),
      run('f3', 'failed', 20),
      run('other-target', 'passed', 10, { target: 'prod' }),
      run('other-journey', 'passed', 10, { journey: 'golden-path' }),
    ];
    for (const r of runs) store.runFinished(r);
    store.runStarted({ id: 'in-flight', journey: 'golden-path-api', target: 'sim', trigger: 'schedule', startedAt: minutesAgo(1), inputs: { prompt: 'p', expectedAnswer: '.' }, steps: [] });
    const history = store.journeyHistory('golden-path-api', 'sim', NOW);
    assert.deepEqual(history.recent.map((r) => r.id), ['f3', 'f2', 'e1', 'f1', 'pass', 'week-pass', 'old-fail'], 'finished runs of this journey and target only');
    assert.equal(history.streak.failures, 3);
    assert.equal(history.streak.first?.id, 'f1');
    assert.equal(history.streak.latest?.id, 'f3');
    assert.equal(history.streak.latest?.failure?.reason, 'ws_auth');
    assert.equal(history.lastFinishedAt, runs[6]?.finishedAt);
    assert.deepEqual(history.day, { passed: 1, failed: 3, error: 1 });
    assert.deepEqual(history.week, { passed: 2, failed: 3, error: 1 });
    assert.equal(store.journeyHistory('golden-path-api', 'sim', NOW, 2).recent.length, 2);
    // SQLite reads the summaries' fields: the same as summarising the whole record.
    assert.deepEqual(history.recent, runs.slice(0, 7).reverse().map(summarise));
  });

  it('journeyHistory summaries carry a replay\'s original, the revision and a run closed at a restart', () => {
    const replay = run('r', 'failed', 5, { trigger: 'replay', replayOf: 'orig', targetInfo: { version: '2', revision: 'abc1234' } });
    const crash = run('c', 'error', 1, { marks: { recovered: true } });
    store.runFinished(replay);
    store.runFinished(crash);
    const { recent } = store.journeyHistory('golden-path-api', 'sim', NOW);
    assert.deepEqual(recent, [summarise(crash), summarise(replay)]);
    assert.equal(recent[1]?.replayOf, 'orig');
    assert.equal(recent[1]?.revision, 'abc1234');
    assert.equal(recent[0]?.recovered, true);
  });

  it('journeyHistory: a pass ends the streak; a run closed at a restart does not move the last finish', () => {
    store.runFinished(run('f1', 'failed', 30));
    store.runFinished(run('p1', 'passed', 20));
    store.runFinished(run('crash', 'error', 10, { marks: { recovered: true } }));
    const history = store.journeyHistory('golden-path-api', 'sim', NOW);
    assert.equal(history.streak.failures, 0);
    assert.equal(history.streak.first, undefined);
    assert.equal(history.lastFinishedAt, minutesAgo(19.5));
    assert.equal(history.recent[0]?.recovered, true);
    const empty = store.journeyHistory('nothing', 'sim', NOW);
    assert.deepEqual(empty, { recent: [], streak: { failures: 0 }, day: { passed: 0, failed: 0, error: 0 }, week: { passed: 0, failed: 0, error: 0 } });
  });

  it('targetRevision: the revision reported now, and the first run that reported it after another', () => {
    assert.equal(store.targetRevision('sim'), undefined);
    const info = (revision: string | null) => ({ targetInfo: { version: revision === null ? null : '1.0', revision } });
    store.runFinished(run('a', 'passed', 50, info('aaa1111')));
    assert.deepEqual(store.targetRevision('sim'), { revision: 'aaa1111', version: '1.0', firstSeenAt: minutesAgo(49.5) }, 'never another: no change time');
    store.runFinished(run('b', 'passed', 40, info('bbb2222')));
    store.runFinished(run('c', 'passed', 30, { ...info('bbb2222'), journey: 'golden-path' }));
    store.runFinished(run('d', 'failed', 20, info(null)));
    const facts = store.targetRevision('sim');
    assert.equal(facts?.revision, 'bbb2222');
    assert.equal(facts?.changedAt, minutesAgo(39.5), 'any journey against the target reads it; a run without one is ignored');
    // Back to the old revision (a rollback): it changed again, at the rollback.
    store.runFinished(run('e', 'passed', 10, info('aaa1111')));
    assert.equal(store.targetRevision('sim')?.changedAt, minutesAgo(9.5));
    assert.equal(store.targetRevision('sim')?.firstSeenAt, minutesAgo(9.5));
    assert.equal(store.targetRevision('prod'), undefined);
  });

  it('runPage: filtered, newest first, paged, with the total; a page past the end is the last', () => {
    for (let i = 0; i < 7; i++) store.runFinished(run(`r${i}`, i % 3 === 0 ? 'failed' : 'passed', 100 - i));
    store.runFinished(run('other', 'error', 1, { journey: 'golden-path' }));
    const first = store.runPage({}, 1, 3);
    assert.deepEqual([first.runs.map((r) => r.id), first.total, first.page, first.pages], [['other', 'r6', 'r5'], 8, 1, 3]);
    assert.deepEqual(store.runPage({}, 3, 3).runs.map((r) => r.id), ['r1', 'r0']);
    assert.equal(store.runPage({}, 9, 3).page, 3);
    const failed = store.runPage({ journey: 'golden-path-api', outcome: ['failed', 'error'] }, 1, 50);
    assert.deepEqual([failed.runs.map((r) => r.id), failed.total], [['r6', 'r3', 'r0'], 3]);
    assert.deepEqual(store.runPage({ target: 'prod' }, 1, 50), { runs: [], total: 0, page: 1, pages: 1 });
  });
});
