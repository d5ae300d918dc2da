import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { raceTimeout } from '../../src/time/race-timeout.js';

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('raceTimeout', () => {
  it('gives the work\'s value when it comes first, and leaves no timer behind', async () => {
    const before = timers();
    assert.equal(await raceTimeout(Promise.resolve('done'), 60_000, 'late'), 'done');
    assert.equal(timers(), before, 'the 60 s timer is cleared, so it cannot keep the process alive');
  });

  it('gives the fallback once the time passes, the work still pending', async () => {
    const started = performance.now();
    assert.equal(await raceTimeout(new Promise<string>(() => undefined), 30, 'late'), 'late');
    assert.ok(performance.now() - started >= 29);
  });

  it('passes the work\'s rejection through when it comes first', async () => {
    const before = timers();
    await assert.rejects(raceTimeout(Promise.reject(new Error('page closed')), 60_000, 'late'), /page closed/);
    assert.equal(timers(), before);
  });

  it('a poll loop of many races leaves no timers piling up', async () => {
    const before = timers();
    for (let i = 0; i < 200; i++) await raceTimeout(sleep(0).then(() => i), 15_000, -1);
    assert.equal(timers(), before);
  });
});
