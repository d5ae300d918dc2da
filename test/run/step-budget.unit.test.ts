import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stepBudget } from '../../src/run/executor.js';

/** A step times out well inside its run's deadline, so a hang is the target's failure, reported, never the deadline kill. */
describe('step budget', () => {
  for (const [step, deadline, budget] of [
    [15_000, 60_000, 15_000],
    [15_000, 30_000, 15_000],
    [15_000, 20_000, 10_000],
    [15_000, 15_000, 7_500],
    [15_000, 5_000, 2_500],
    [3_000, 60_000, 3_000],
    [15_000, 800, 500],
  ] as const) {
    it(`step ${step} ms, deadline ${deadline} ms: ${budget} ms`, () => {
      assert.equal(stepBudget(step, deadline), budget);
    });
  }
});
