import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHROMIUM_FLAGS, ChromiumNotFoundError, chooseChromium, chromiumLaunchOptions } from '../../src/browser/chromium.js';

const only = (...paths: string[]) => (path: string) => paths.includes(path);

describe('which Chromium runs', () => {
  it('an explicit setting wins over the environment and Debian', () => {
    const choice = chooseChromium({ explicit: '/opt/c', env: { GPMON_CHROMIUM: '/env/c' }, exists: only('/opt/c', '/env/c', '/usr/bin/chromium') });
    assert.deepEqual([choice.executablePath, choice.source], ['/opt/c', 'setting']);
  });
  it('then GPMON_CHROMIUM', () => {
    const choice = chooseChromium({ env: { GPMON_CHROMIUM: '/env/c' }, exists: only('/env/c', '/usr/bin/chromium') });
    assert.deepEqual([choice.executablePath, choice.source], ['/env/c', 'environment']);
  });
  it("then Debian's /usr/bin/chromium", () => {
    const choice = chooseChromium({ env: {}, exists: only('/usr/bin/chromium') });
    assert.deepEqual([choice.executablePath, choice.source], ['/usr/bin/chromium', 'debian']);
  });
  it("then Playwright's own browser (no executablePath)", () => {
    const choice = chooseChromium({ env: {}, exists: only() });
    assert.deepEqual([choice.executablePath, choice.source], [undefined, 'playwright']);
    assert.deepEqual(chromiumLaunchOptions({ env: {}, exists: only() }), { args: [...CHROMIUM_FLAGS] });
  });
  it('a named browser that does not exist is an error, not a silent fall-through', () => {
    assert.throws(
      () => chooseChromium({ env: { GPMON_CHROMIUM: '/nope' }, exists: only('/usr/bin/chromium') }),
      (error: unknown) => error instanceof ChromiumNotFoundError && /environment \(\/nope\)/.test(error.message),
    );
  });
  it('always carries the flags a root, offline host needs', () => {
    for (const flag of ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']) {
      assert.ok(chooseChromium({ env: {}, exists: only() }).args.includes(flag), flag);
    }
  });
});
