import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_PAUSE_REASON, Pauses, type PauseChange } from '../../src/monitor/pauses.js';
import { RunStore } from '../../src/store/run-store.js';

/** Pauses: per journey and target, announced on every change, kept in the store across restarts. */

describe('Pauses', () => {
  it('pauses and resumes per journey and target, and announces each change', () => {
    const changes: PauseChange[] = [];
    let now = Date.parse('2026-03-01T10:00:00.000Z');
    const pauses = new Pauses((change) => changes.push(change), () => now);
    const info = pauses.pause('golden-path', 'staging', { reason: '  db migration  ', by: 'console' });
    assert.deepEqual(info, { journey: 'golden-path', target: 'staging', since: '2026-03-01T10:00:00.000Z', reason: 'db migration', by: 'console' });
    assert.deepEqual(pauses.get('golden-path', 'staging'), info);
    assert.equal(pauses.get('golden-path', 'prod'), undefined, 'another target is not paused');
    assert.equal(pauses.get('golden-path-api', 'staging'), undefined, 'another journey is not paused');
    // Paused again later: the same pause (its since), with the new reason and author.
    now += 60_000;
    const again = pauses.pause('golden-path', 'staging', { by: 'api' });
    assert.deepEqual(again, { journey: 'golden-path', target: 'staging', since: '2026-03-01T10:00:00.000Z', by: 'api' });
    pauses.pause('a-journey', 'staging', { reason: 'x'.repeat(MAX_PAUSE_REASON + 50), by: 'api' });
    assert.equal(pauses.get('a-journey', 'staging')?.reason?.length, MAX_PAUSE_REASON);
    assert.deepEqual(pauses.list().map((p) => p.journey), ['a-journey', 'golden-path']);
    assert.deepEqual(pauses.resume('golden-path', 'staging'), again);
    assert.equal(pauses.get('golden-path', 'staging'), undefined);
    assert.equal(pauses.resume('golden-path', 'staging'), undefined, 'resuming a journey not paused changes nothing');
    assert.deepEqual(
      changes.map((c) => [c.journey, c.paused === undefined ? 'resumed' : 'paused']),
      [['golden-path', 'paused'], ['golden-path', 'paused'], ['a-journey', 'paused'], ['golden-path', 'resumed']],
    );
  });

  it('survives a restart through the run store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-pauses-'));
    try {
      const keep = (store: RunStore) => (change: PauseChange) => {
        if (change.paused === undefined) store.deletePause(change.journey, change.target);
        else store.savePause(change.paused);
      };
      const first = RunStore.open(join(dir, 'gpmon.db'), join(dir, 'runs'));
      const before = new Pauses(keep(first));
      before.pause('golden-path', 'staging', { reason: 'deploy window', by: 'console' });
      before.pause('golden-path', 'prod', { by: 'api' });
      before.resume('golden-path', 'prod');
      first.close();

      const second = RunStore.open(join(dir, 'gpmon.db'), join(dir, 'runs'));
      const announced: PauseChange[] = [];
      const after = new Pauses((change) => announced.push(change));
      after.restore(second.pauses());
      assert.deepEqual(after.list(), before.list());
      assert.equal(after.get('golden-path', 'staging')?.reason, 'deploy window');
      assert.equal(after.get('golden-path', 'prod'), undefined, 'a resumed pause is not restored');
      assert.equal(announced.length, 1, 'each restored pause is announced (the metrics set it)');
      second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
