import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { journeyRunSettings, resolveConfig } from '../../src/config/resolve.js';
import { SHIPPED, journeyNamed } from '../helpers/shipped.js';

/**
 * A run's settings (deadline, step timeout, artifact policy) are decided where
 * the config is resolved, once: every run request carries them whole, and the
 * executor has no defaults of its own (src/run/executor.ts RunRequest).
 */
describe('run settings', () => {
  const api = journeyNamed('golden-path-api');

  it("a journey with no config: its file's deadline, its file's step timeout (else min(15 s, deadline)), no screencast", () => {
    const fromFile = { timeoutMs: 30_000, stepTimeoutMs: 4_000 };
    assert.deepEqual(journeyRunSettings(fromFile), { timeoutMs: 30_000, stepTimeoutMs: 4_000, artifacts: { traceScreenshots: false } });
    assert.deepEqual(journeyRunSettings({ timeoutMs: 30_000 }), { timeoutMs: 30_000, stepTimeoutMs: 15_000, artifacts: { traceScreenshots: false } });
    assert.deepEqual(journeyRunSettings({ timeoutMs: 8_000 }).stepTimeoutMs, 8_000, 'never past a short deadline');
  });

  it("the config's values over the file's; a shorter configured deadline caps the file's step timeout", () => {
    assert.deepEqual(journeyRunSettings({ timeoutMs: 30_000, stepTimeoutMs: 20_000 }, { timeoutMs: 10_000 }), { timeoutMs: 10_000, stepTimeoutMs: 10_000, artifacts: { traceScreenshots: false } });
    assert.deepEqual(journeyRunSettings({ timeoutMs: 30_000 }, { stepTimeoutMs: 2_000, traceScreenshots: true }), { timeoutMs: 30_000, stepTimeoutMs: 2_000, artifacts: { traceScreenshots: true } });
  });

  it('resolveConfig gives every journey its settings: runs.traceScreenshots becomes each journey\'s artifact policy', () => {
    const result = resolveConfig({ runs: { traceScreenshots: true }, journeys: { 'golden-path-api': { timeoutMs: 20_000, stepTimeoutMs: 6_000 } } }, {}, SHIPPED);
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
    const configured = result.config.journeys.find((j) => j.definition.name === api.name);
    assert.deepEqual([configured?.timeoutMs, configured?.stepTimeoutMs, configured?.artifacts], [20_000, 6_000, { traceScreenshots: true }]);
    assert.ok(result.config.journeys.every((j) => j.artifacts.traceScreenshots), 'the policy is every journey\'s');
    const plain = resolveConfig({}, {}, SHIPPED);
    assert.ok(plain.ok);
    for (const j of plain.config.journeys) assert.deepEqual({ timeoutMs: j.timeoutMs, stepTimeoutMs: j.stepTimeoutMs, artifacts: j.artifacts }, journeyRunSettings(j.definition), `${j.definition.name}: the same settings as a caller without a config gets`);
  });
});
