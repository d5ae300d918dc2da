import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryWriter } from '../../src/store/history-writer.js';
import type { RunRecord, RunStart } from '../../src/model/run-record.js';
import { runRecord } from '../helpers/records.js';

/** A store whose writes fail while `locked`, as SQLite answers SQLITE_BUSY with a busy timeout of 0. */
function lockableStore() {
  const rows = new Map<string, 'running' | 'done'>();
  const store = {
    locked: false,
    rows,
    runStarted(start: RunStart) {
      if (store.locked) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      rows.set(start.id, 'running');
    },
    runFinished(record: RunRecord) {
      if (store.locked) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      rows.set(record.id, 'done');
    },
  };
  return store;
}

const start = (id: string): RunStart => ({ id, journey: 'j', target: 't', trigger: 'schedule', startedAt: new Date().toISOString(), inputs: { prompt: 'p', expectedAnswer: '.' }, steps: [] });

describe('history writer: a locked history defers writes, never blocks, never loses silently', () => {
  it('writes at once when it can', () => {
    const store = lockableStore();
    const writer = new HistoryWriter(store);
    writer.runStarted(start('a'));
    writer.runFinished(runRecord({ id: 'a', outcome: 'passed' }));
    assert.equal(store.rows.get('a'), 'done');
    assert.deepEqual(writer.waiting, []);
  });

  it('keeps what a lock refused and stores it once the lock is gone', async () => {
    const store = lockableStore();
    const deferred: string[] = [];
    const stored: string[] = [];
    const writer = new HistoryWriter(store, { firstDelayMs: 10, maxDelayMs: 20, onDeferred: (id) => deferred.push(id), onStored: (id) => stored.push(id) });
    store.locked = true;
    writer.runStarted(start('a'));
    writer.runFinished(runRecord({ id: 'b', outcome: 'failed' }));
    assert.deepEqual(writer.waiting.sort(), ['a', 'b']);
    await sleep(50);
    assert.equal(store.rows.size, 0, 'nothing gets through while locked');
    store.locked = false;
    await sleep(60);
    assert.equal(store.rows.get('a'), 'running');
    assert.equal(store.rows.get('b'), 'done');
    assert.deepEqual(writer.waiting, []);
    assert.deepEqual(deferred.sort(), ['a', 'b']);
    assert.deepEqual(stored.sort(), ['a', 'b']);
  });

  it('a finished record replaces its pending start: a late retry never makes a finished run in flight again', async () => {
    const store = lockableStore();
    const writer = new HistoryWriter(store, { firstDelayMs: 10 });
    store.locked = true;
    writer.runStarted(start('a'));
    store.locked = false;
    writer.runFinished(runRecord({ id: 'a', outcome: 'passed' }));
    await sleep(40);
    assert.equal(store.rows.get('a'), 'done');
  });

  it('an error that is not a lock (a full disk, a corrupt file) is reported lost at once, never retried as if busy', () => {
    const lost: string[] = [];
    const writer = new HistoryWriter({ runStarted: () => undefined, runFinished: () => { throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }); } }, { onLost: (id) => lost.push(id) });
    writer.runFinished(runRecord({ id: 'x', outcome: 'passed' }));
    assert.deepEqual(lost, ['x']);
    assert.deepEqual(writer.waiting, []);
  });

  it('a write still refused after its window is reported lost with its id; flush at shutdown reports the rest', async () => {
    const store = lockableStore();
    const lost: string[] = [];
    const writer = new HistoryWriter(store, { firstDelayMs: 5, maxDelayMs: 5, giveUpAfterMs: 30, onLost: (id) => lost.push(id) });
    store.locked = true;
    writer.runFinished(runRecord({ id: 'old', outcome: 'passed' }));
    await sleep(80);
    assert.deepEqual(lost, ['old']);
    writer.runFinished(runRecord({ id: 'late', outcome: 'passed' }));
    assert.deepEqual(writer.flush(), ['late']);
    assert.deepEqual(lost, ['old', 'late']);
  });
});
