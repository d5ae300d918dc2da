import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as kit from '../../src/kit/index.js';
import * as standIn from '../../src/kit/discovery-kit.js';

/** While discovery reads a journey file, 'golden-path-monitor/kit' is the light stand-in: it must offer every name the kit does. */
describe('the kit and its discovery stand-in', () => {
  it('export the same names', () => {
    assert.deepEqual(Object.keys(standIn).sort(), Object.keys(kit).sort());
  });

  it("the stand-in's model names are the kit's own values; the rest refuse to be used, naming themselves", () => {
    assert.equal(standIn.GOLDEN_PATH_STEPS, kit.GOLDEN_PATH_STEPS);
    assert.equal(standIn.FAILURE_REASONS, kit.FAILURE_REASONS);
    assert.equal(standIn.CRITICAL_EVENTS, kit.CRITICAL_EVENTS);
    assert.throws(() => (standIn.excerpt as unknown as (text: string) => string)('x'), /^Error: excerpt from golden-path-monitor\/kit is used at the top level of the journey file, where gpmon only reads the declaration: use it inside the journey's body$/);
  });
});
