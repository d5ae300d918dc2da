import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployExpectations } from '../../src/monitor/deploy-expectations.js';
import { parseDuration, revisionMatches, type RevisionExpectation } from '../../src/model/revision.js';
import { RunStore } from '../../src/store/run-store.js';
import type { RunRecord } from '../../src/model/run-record.js';

const run = (target: string, revision: string | null, finishedAt = '2026-11-30T12:00:05.000Z'): RunRecord =>
  ({ id: 'r', journey: 'golden-path-api', target, trigger: 'schedule', startedAt: finishedAt, finishedAt, durationMs: 1, outcome: 'passed', steps: [], events: [], marks: {}, targetInfo: { version: '1', revision }, artifacts: [], inputs: { prompt: 'p', expectedAnswer: 'a' } });

describe('revisions and windows', () => {
  it('a short SHA matches the full one either way, case aside; an unknown revision never matches', () => {
    assert.equal(revisionMatches('c0ffee1', 'C0FFEE1234567890'), true);
    assert.equal(revisionMatches('c0ffee1234567890', 'c0ffee1'), true);
    assert.equal(revisionMatches('c0ffee1', 'c0ffee2234567890'), false);
    assert.equal(revisionMatches('c0ffee1', null), false);
    assert.equal(revisionMatches('c0ffee1', ''), false);
  });

  it('a window is a duration with its unit, within bounds', () => {
    const bounds = { min: 1000, max: 86_400_000 };
    assert.deepEqual(parseDuration('10m', bounds), { ok: true, ms: 600_000 });
    assert.deepEqual(parseDuration('90s', bounds), { ok: true, ms: 90_000 });
    assert.deepEqual(parseDuration('600', bounds), { ok: false, error: '"600" is not a duration (90s, 10m, 1h)' }, 'a bare number has no unit');
    assert.deepEqual(parseDuration('2d', bounds), { ok: false, error: '"2d" must be from 1 second to 1 day' });
  });
});

describe('DeployExpectations', () => {
  it('is live once a run reads the revision, stays waiting on another, and each change is handed on', () => {
    const changes: RevisionExpectation[] = [];
    const deploys = new DeployExpectations((e) => changes.push(e), () => Date.parse('2026-11-30T12:00:00.000Z'));
    deploys.observe(run('staging', 'aaaaaaa1111'));
    const announced = deploys.expect('staging', 'c0ffee1', 600_000);
    assert.deepEqual(announced, { target: 'staging', revision: 'c0ffee1', expectedAt: '2026-11-30T12:00:00.000Z', deadline: '2026-11-30T12:10:00.000Z', observed: 'aaaaaaa1111' });
    deploys.observe(run('staging', 'aaaaaaa1111'));
    deploys.observe(run('other', 'c0ffee1999'));
    assert.equal(changes.length, 1, 'the same revision again, or another target, changes nothing');
    deploys.observe(run('staging', 'c0ffee1999'));
    assert.equal(deploys.get('staging')?.liveAt, '2026-11-30T12:00:05.000Z');
    assert.equal(changes.length, 2);
  });

  it('an announcement of what already runs is live at once', () => {
    const deploys = new DeployExpectations(() => undefined, () => 0);
    deploys.observe(run('staging', 'c0ffee1999'));
    assert.equal(deploys.expect('staging', 'c0ffee1', 1000).liveAt, '1970-01-01T00:00:00.000Z');
  });

  it('survives a restart through the run history', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-deploys-'));
    try {
      const first = RunStore.open(join(dir, 'history.db'), dir);
      const deploys = new DeployExpectations((e) => { first.saveExpectation(e); }, () => 0);
      deploys.expect('staging', 'c0ffee1', 1000);
      first.close();
      const second = RunStore.open(join(dir, 'history.db'), dir);
      const restored = new DeployExpectations(() => undefined);
      restored.restore(second.expectations());
      assert.equal(restored.get('staging')?.revision, 'c0ffee1');
      second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
