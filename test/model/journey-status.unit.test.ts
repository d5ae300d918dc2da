import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { journeyStatus, STALE_INTERVALS, successRatio, summarise, type JourneyFacts, type JourneyHistory, type RunSummary, type StatusInput } from '../../src/model/journey-status.js';
import type { Outcome } from '../../src/model/run-record.js';
import type { FailureReason } from '../../src/model/reasons.js';
import { runRecord } from '../helpers/records.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const JOURNEY: JourneyFacts = { name: 'golden-path-api', enabled: true, schedule: '*/15 * * * * *', intervalSeconds: 60, pageAfterFailures: 3 };

/** A run that finished `agoS` seconds before NOW. */
function run(id: string, outcome: Outcome, agoS: number, reason: FailureReason = 'ws_subprotocol'): RunSummary {
  const finishedAt = new Date(NOW - agoS * 1000).toISOString();
  return summarise(
    runRecord({
      id,
      outcome,
      startedAt: new Date(NOW - agoS * 1000 - 500).toISOString(),
      finishedAt,
      ...(outcome === 'passed' ? {} : { failure: { step: outcome === 'error' ? 'journey' : 'connect', reason: outcome === 'error' ? 'monitor_error' : reason, message: `${id} broke`, evidence: {} } }),
    }),
  );
}

/**
 * The history the store gives for `runs` (newest first), computed here by the same rule as STREAKS_SQL:
 * the failed runs since the last pass; a monitor error neither counts nor breaks the streak.
 */
function history(runs: RunSummary[], extra: Partial<JourneyHistory> = {}): JourneyHistory {
  const lastPass = runs.findIndex((r) => r.outcome === 'passed');
  const streak = (lastPass < 0 ? runs : runs.slice(0, lastPass)).filter((r) => r.outcome === 'failed');
  const count = (o: Outcome) => runs.filter((r) => r.outcome === o).length;
  const counts = { passed: count('passed'), failed: count('failed'), error: count('error') };
  return {
    recent: runs,
    streak: { failures: streak.length, ...(streak.length > 0 ? { first: streak[streak.length - 1], latest: streak[0] } : {}) },
    ...(runs[0] !== undefined ? { lastFinishedAt: runs.find((r) => !r.recovered)?.finishedAt } : {}),
    day: counts,
    week: counts,
    ...extra,
  };
}

const status = (runs: RunSummary[], more: Partial<StatusInput> = {}) => journeyStatus({ journey: JOURNEY, target: 'sim', history: history(runs), now: NOW, ...more });

describe('journey status', () => {
  it('passing: the last verdict was a pass; the strip runs oldest to newest', () => {
    const s = status([run('c', 'passed', 10), run('b', 'failed', 25), run('a', 'passed', 40)]);
    assert.equal(s.state, 'passing');
    assert.equal(s.label, 'passing');
    assert.equal(s.failing, undefined);
    assert.deepEqual(s.strip.map((r) => r.id), ['a', 'b', 'c']);
    assert.equal(s.lastRun?.id, 'c');
    assert.equal(s.ratio.day.value, 2 / 3);
  });

  it('failing: since the first failed run of the streak, with the count and the latest failure', () => {
    const s = status([run('c', 'failed', 10, 'ws_auth'), run('b', 'failed', 25), run('a', 'passed', 40)]);
    assert.equal(s.state, 'failing');
    assert.equal(s.failing?.failures, 2);
    assert.equal(s.failing?.since, run('b', 'failed', 25).finishedAt);
    assert.equal(s.failing?.latest.id, 'c');
    assert.equal(s.failing?.latest.failure?.reason, 'ws_auth');
    assert.equal(s.failing?.pageAfter, 3);
    assert.equal(s.failing?.pagedBy, undefined);
  });

  it('paging: the streak reaches pageAfterFailures (GoldenPathDown), and not one run before', () => {
    const runs = [run('d', 'failed', 5), run('c', 'failed', 10), run('b', 'failed', 25), run('a', 'passed', 40)];
    const s = status(runs);
    assert.equal(s.state, 'paging');
    assert.equal(s.failing?.pagedBy, 'GoldenPathDown');
    assert.equal(s.failing?.failures, 3);
    assert.equal(status(runs.slice(1)).state, 'failing', 'two in a row do not page at 3');
    assert.equal(status(runs, { journey: { ...JOURNEY, pageAfterFailures: 4 } }).state, 'failing');
  });

  it('paging at once on a security or isolation failure (GoldenPathSecurityFailure)', () => {
    for (const reason of ['security', 'isolation'] as const) {
      const s = status([run('b', 'failed', 5, reason), run('a', 'passed', 40)]);
      assert.equal(s.state, 'paging', reason);
      assert.equal(s.failing?.pagedBy, 'GoldenPathSecurityFailure');
    }
  });

  it('a monitor error neither counts in the streak nor breaks it', () => {
    const runs = [run('e', 'failed', 5), run('d', 'error', 10), run('c', 'failed', 15), run('b', 'error', 20), run('a', 'failed', 25)];
    const s = status(runs);
    assert.equal(s.failing?.failures, 3, 'three failures, the two errors between them left out');
    assert.equal(s.state, 'paging');
    assert.equal(s.failing?.since, runs[4]?.finishedAt);
    // The last run errored: still the streak's state, with the error noted.
    const afterError = status([run('f', 'error', 2), ...runs.slice(2)]);
    assert.equal(afterError.state, 'failing');
    assert.equal(afterError.failing?.failures, 2);
    assert.equal(afterError.lastRunErrored, true);
  });

  it('erroring: no streak and the last run was the monitor\'s own error', () => {
    const s = status([run('b', 'error', 5), run('a', 'passed', 20)]);
    assert.equal(s.state, 'erroring');
    assert.equal(s.lastRunErrored, true);
    assert.equal(status([run('a', 'error', 5)]).state, 'erroring', 'errors only: no verdict yet');
  });

  it('success ratios leave the monitor\'s errors out, and say "no runs" (null) when nothing was judged', () => {
    assert.deepEqual(successRatio({ passed: 3, failed: 1, error: 5 }), { passed: 3, failed: 1, error: 5, value: 0.75 });
    assert.equal(successRatio({ passed: 0, failed: 0, error: 2 }).value, null);
    const s = journeyStatus({ journey: JOURNEY, target: 'sim', history: history([run('a', 'passed', 5)], { day: { passed: 0, failed: 0, error: 0 }, week: { passed: 9, failed: 1, error: 0 } }), now: NOW });
    assert.equal(s.ratio.day.value, null);
    assert.equal(s.ratio.week.value, 0.9);
  });

  it(`stale: no finished run for more than ${STALE_INTERVALS} intervals (the alert's >), kept failing facts`, () => {
    const limitS = STALE_INTERVALS * JOURNEY.intervalSeconds;
    assert.equal(status([run('a', 'passed', limitS)]).state, 'passing', 'at the limit exactly: not yet');
    const s = status([run('b', 'failed', limitS + 1), run('a', 'passed', limitS + 30)]);
    assert.equal(s.state, 'stale');
    assert.equal(s.stale?.lastRunAt, run('b', 'failed', limitS + 1).finishedAt);
    assert.equal(s.stale?.silentMs, (limitS + 1) * 1000);
    assert.equal(s.stale?.limitMs, limitS * 1000);
    assert.equal(s.failing?.failures, 1, 'the streak it had is still shown');
  });

  it('just resumed after a long pause: not stale until the rule\'s grace (3 intervals + 2 min after the resume) has passed with no run', () => {
    const limitS = STALE_INTERVALS * JOURNEY.intervalSeconds;
    const runs = [run('a', 'passed', 3600)];
    const resumedAgo = (s: number) => new Date(NOW - s * 1000).toISOString();
    assert.equal(journeyStatus({ journey: JOURNEY, target: 't', history: history(runs), resumedAt: resumedAgo(5), now: NOW }).state, 'passing');
    assert.equal(journeyStatus({ journey: JOURNEY, target: 't', history: history(runs), resumedAt: resumedAgo(limitS + 120), now: NOW }).state, 'passing', 'at the grace exactly: not yet');
    assert.equal(journeyStatus({ journey: JOURNEY, target: 't', history: history(runs), resumedAt: resumedAgo(limitS + 121), now: NOW }).state, 'stale');
    // A run after the resume: the usual rule, from that run.
    const after = [run('b', 'passed', limitS + 1), ...runs];
    assert.equal(journeyStatus({ journey: JOURNEY, target: 't', history: history(after), resumedAt: resumedAgo(limitS + 2), now: NOW }).state, 'stale');
  });

  it('stale is measured from the last run that ran: a run closed at a restart does not count', () => {
    const recovered = { ...run('b', 'error', 1), recovered: true };
    const old = run('a', 'passed', 500);
    const s = journeyStatus({ journey: JOURNEY, target: 'sim', history: history([recovered, old], { lastFinishedAt: old.finishedAt }), now: NOW });
    assert.equal(s.state, 'stale');
  });

  it('a journey that never ran: no run yet, then stale once the monitor has been up for the limit', () => {
    assert.equal(status([]).state, 'no-runs');
    assert.equal(status([]).label, 'no run yet');
    const startedAt = (agoS: number) => new Date(NOW - agoS * 1000).toISOString();
    assert.equal(status([], { monitorStartedAt: startedAt(60) }).state, 'no-runs');
    const s = status([], { monitorStartedAt: startedAt(181) });
    assert.equal(s.state, 'stale');
    assert.equal(s.stale?.lastRunAt, undefined);
  });

  it('paused: shown as paused, with the failing facts it had', () => {
    const pause = { since: '2026-03-01T11:00:00.000Z', reason: 'DB migration', by: 'console' };
    const s = status([run('d', 'failed', 5), run('c', 'failed', 10), run('b', 'failed', 25), run('a', 'passed', 40)], { pause });
    assert.equal(s.state, 'paused');
    assert.deepEqual(s.paused, pause);
    assert.equal(s.failing?.failures, 3);
    assert.equal(s.failing?.pagedBy, 'GoldenPathDown', 'the facts say what would page; the pause keeps it quiet');
    assert.equal(status([run('a', 'passed', 10_000)], { pause }).state, 'paused', 'a paused journey is not stale: it is not meant to run');
    assert.equal(status([run('a', 'passed', 10_000)], { pause }).stale, undefined);
  });

  it('disabled: switched off in the config, whatever its history says', () => {
    const s = status([run('b', 'failed', 5), run('a', 'failed', 10_000)], { journey: { ...JOURNEY, enabled: false } });
    assert.equal(s.state, 'disabled');
    assert.equal(s.stale, undefined);
    assert.equal(s.failing?.failures, 2);
  });
});
