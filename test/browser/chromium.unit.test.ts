import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createHash } from 'node:crypto';
import { CHROMIUM_FLAGS, ChromiumNotFoundError, DEBIAN_HEADLESS_SHELL, chooseChromium, chromiumLaunchOptions, headedRun, isExecutableFile, privateCaFlags } from '../../src/browser/chromium.js';
import { createSimulatorPki } from '../../src/simulator/tls.js';

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
  it('a run by hand may be headed with --headed, --debug (inspector), PWDEBUG, UI mode, the test server, or GPMON_HEADED', () => {
    const headed = (argv: string[], env: NodeJS.ProcessEnv = {}) => headedRun(['node', 'playwright', ...argv], env);
    assert.equal(headed(['test']), false);
    assert.equal(headed(['test', '--headed']), true);
    assert.equal(headed(['test', '--debug']), true);
    assert.equal(headed(['test', '--debug=inspector']), true);
    assert.equal(headed(['test', '--debug', 'journeys/x.spec.ts']), true);
    assert.equal(headed(['test', '--debug=cli']), false, 'the cli debugger runs headless');
    assert.equal(headed(['test', '--debug', 'cli']), false);
    assert.equal(headed(['test', '--ui']), true);
    assert.equal(headed(['test', '--ui-port=0']), true);
    assert.equal(headed(['test-server']), true);
    assert.equal(headed([], { PWDEBUG: '1' }), true);
    assert.equal(headed([], { npm_config_pwdebug: '1' }), true);
    for (const off of ['0', 'false', 'console', '']) assert.equal(headed([], { PWDEBUG: off }), false, `PWDEBUG=${off}`);
    assert.equal(headed([], { GPMON_HEADED: '1' }), true);
    assert.equal(headed([], { GPMON_HEADED: 'true' }), true);
    assert.equal(headed([], { GPMON_HEADED: '0' }), false);
  });
  it("then Playwright's own browser (no executablePath)", () => {
    const choice = chooseChromium({ env: {}, exists: only() });
    assert.deepEqual([choice.executablePath, choice.source], [undefined, 'playwright']);
    assert.deepEqual(chromiumLaunchOptions({ env: {}, exists: only() }), { args: [...CHROMIUM_FLAGS] });
  });
  it('a browser that exists but cannot run is passed over, and a named one is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-chromium-'));
    try {
      const file = join(dir, 'chromium');
      writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
      assert.equal(isExecutableFile(file), false);
      assert.equal(isExecutableFile(dir), false, 'a folder is no browser');
      assert.throws(() => chooseChromium({ env: { GPMON_CHROMIUM: file } }), /does not exist or is not an executable file/);
      chmodSync(file, 0o755);
      assert.equal(isExecutableFile(file), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

describe("a target's private CA, for Chromium", () => {
  it('is the SPKI list flag with each certificate key hash of the file, and nothing for no file, a missing one or one with no certificate', async () => {
    const pki = await createSimulatorPki(['127.0.0.1']);
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-spki-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), pki.caPem);
      writeFileSync(join(dir, 'junk.pem'), 'hello\n');
      const expected = createHash('sha256').update(new X509Certificate(pki.caPem).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
      assert.deepEqual(privateCaFlags(join(dir, 'ca.pem')), [`--ignore-certificate-errors-spki-list=${expected}`]);
      assert.deepEqual(privateCaFlags(undefined), []);
      assert.deepEqual(privateCaFlags(join(dir, 'missing.pem')), []);
      assert.deepEqual(privateCaFlags(join(dir, 'junk.pem')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
