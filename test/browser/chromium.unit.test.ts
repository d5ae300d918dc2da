import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHROMIUM_FLAGS, ChromiumNotFoundError, DEBIAN_HEADLESS_SHELL, chooseChromium, chromiumLaunchOptions, headedRun } from '../../src/browser/chromium.js';

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
  it("then, headless, Debian's headless shell: the binary itself, not /usr/bin's wrapper script", () => {
    const choice = chooseChromium({ env: {}, exists: only(DEBIAN_HEADLESS_SHELL, '/usr/bin/chromium') });
    assert.deepEqual([choice.executablePath, choice.source], ['/usr/lib/chromium/chromium-headless-shell', 'debian-headless-shell']);
    assert.equal(chooseChromium({ env: {}, exists: only(DEBIAN_HEADLESS_SHELL, '/usr/bin/chromium'), headless: true }).source, 'debian-headless-shell');
  });
  it("then Debian's /usr/bin/chromium, which a headed run takes even where the headless shell is installed", () => {
    const choice = chooseChromium({ env: {}, exists: only('/usr/bin/chromium') });
    assert.deepEqual([choice.executablePath, choice.source], ['/usr/bin/chromium', 'debian']);
    const headed = chooseChromium({ env: {}, exists: only(DEBIAN_HEADLESS_SHELL, '/usr/bin/chromium'), headless: false });
    assert.deepEqual([headed.executablePath, headed.source], ['/usr/bin/chromium', 'debian']);
  });
  it('a headed run with only the headless shell installed falls through to Playwright\'s own browser', () => {
    assert.equal(chooseChromium({ env: {}, exists: only(DEBIAN_HEADLESS_SHELL), headless: false }).source, 'playwright');
  });
  it('a named browser is used headed or not: the operator means that one', () => {
    assert.equal(chooseChromium({ env: { GPMON_CHROMIUM: '/env/c' }, exists: only('/env/c', DEBIAN_HEADLESS_SHELL), headless: true }).executablePath, '/env/c');
  });
  it('a run by hand is headed with --headed, --debug, PWDEBUG or GPMON_HEADED=1', () => {
    assert.equal(headedRun(['node', 'playwright', 'test'], {}), false);
    assert.equal(headedRun(['node', 'playwright', 'test', '--headed'], {}), true);
    assert.equal(headedRun(['node', 'playwright', 'test', '--debug'], {}), true);
    assert.equal(headedRun(['node', 'playwright', 'test', '--debug=cli'], {}), true);
    assert.equal(headedRun([], { PWDEBUG: '1' }), true);
    assert.equal(headedRun([], { PWDEBUG: '0' }), false);
    assert.equal(headedRun([], { GPMON_HEADED: '1' }), true);
    assert.equal(headedRun([], { GPMON_HEADED: '0' }), false);
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
