import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { journeyStatus, type JourneyHistory, type RunSummary } from '../../src/model/journey-status.js';
import { statusJson, statusLines, type StatusEntry } from '../../src/cli/status-command.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const run = (id: string, outcome: RunSummary['outcome'], msAgo: number, reason?: 'security' | 'timeout'): RunSummary => ({
  id,
  journey: 'golden-path',
  target: 'prod',
  trigger: 'schedule',
  outcome,
  startedAt: at(msAgo + 2000),
  finishedAt: at(msAgo),
  durationMs: 2000,
  revision: null,
  recovered: false,
  ...(reason !== undefined ? { failure: { step: 'agent_request', reason, message: `${reason} \u001b[2Jhere` } } : {}),
});
const facts = { name: 'golden-path', enabled: true, schedule: '0 * * * * *', intervalSeconds: 60, pageAfterFailures: 3 };
const entry = (history: JourneyHistory): StatusEntry => ({ status: journeyStatus({ journey: facts, target: 'prod', history, now: NOW }), revision: undefined, schedule: facts.schedule });

/** statusLines and statusJson: the words of journeyStatus's facts, pure (no store). */
describe('gpmon status text', () => {
  it('one security failure pages at once, and says which alert fires', () => {
    const failed = run('f1', 'failed', 10_000, 'security');
    const lines = statusLines([entry({ recent: [failed], streak: { failures: 1, first: failed, latest: failed }, lastFinishedAt: failed.finishedAt, day: { passed: 0, failed: 1, error: 0 }, week: { passed: 0, failed: 1, error: 0 } })], NOW);
    assert.ok(lines.includes('golden-path on prod: PAGING since 10 seconds ago (2026-03-01T11:59:50Z): 1 failed run in a row (a security failure pages at once; GoldenPathSecurityFailure fires)'), lines.join('\n'));
    assert.ok(lines.includes('  step agent_request failed with security: security \\x1b[2Jhere'), lines.join('\n'));
    assert.ok(lines.includes('  success 24 h     0% (0 of 1)'), lines.join('\n'));
    assert.ok(lines.includes('  revision         not reported'));
  });

  it('a failure streak whose latest run was followed by a monitor error names both runs', () => {
    const failed = run('f1', 'failed', 60_000, 'timeout');
    const errored = run('e1', 'error', 10_000);
    const e = entry({ recent: [errored, failed], streak: { failures: 1, first: failed, latest: failed }, lastFinishedAt: errored.finishedAt, day: { passed: 0, failed: 1, error: 1 }, week: { passed: 0, failed: 1, error: 1 } });
    const lines = statusLines([e], NOW);
    assert.ok(lines.some((l) => l.startsWith('golden-path on prod: FAILING since 1 minute ago')), lines.join('\n'));
    assert.ok(lines.includes('  last failed run  f1, 1 minute ago'), lines.join('\n'));
    assert.ok(lines.includes("  the last run was the monitor's own error (gpmon show <last run> says why)"));
    assert.ok(lines.includes('  success 24 h     0% (0 of 1; 1 monitor error left out)'), lines.join('\n'));
    const json = statusJson(e) as Record<string, unknown>;
    assert.equal(json.strip, undefined);
    assert.equal(json.revision, null);
    assert.equal(json.state, 'failing');
  });
});
