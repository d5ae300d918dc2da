import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { PROJECT_ROOT } from '../helpers/journey-harness.js';

const require = createRequire(import.meta.url);

/** A journey is an ordinary Playwright test: run by hand, it checks an embedded simulator. */
describe('journeys run by hand', () => {
  it('npx playwright test journeys/golden-path-api.spec.ts passes against an embedded simulator', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
    for (const name of Object.keys(env)) if (name.startsWith('GPMON_')) Reflect.deleteProperty(env, name);
    const result = spawnSync(process.execPath, [require.resolve('@playwright/test/cli'), 'test', 'journeys/golden-path-api.spec.ts', '--reporter', 'line'], {
      cwd: PROJECT_ROOT,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /1 passed/);
  });
});
