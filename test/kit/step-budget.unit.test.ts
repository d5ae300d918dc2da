import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { stepBudget } from '../../src/kit/step-budget.js';

describe('stepBudget', () => {
  it('shrinks as time passes, in whole ms (AbortSignal.timeout refuses fractions)', async () => {
    const left = stepBudget(1000);
    const first = left();
    await sleep(50);
    const second = left();
    assert.ok(Number.isInteger(first) && Number.isInteger(second), `${first}, ${second}`);
    assert.ok(first <= 1000 && second <= first - 40, `${first} then ${second}`);
    assert.doesNotThrow(() => AbortSignal.timeout(second));
  });

  it('never gives 0 once spent (Playwright reads a timeout of 0 as no timeout at all)', async () => {
    const left = stepBudget(5);
    await sleep(20);
    assert.equal(left(), 1);
  });
});
