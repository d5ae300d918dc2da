import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { gpmon as runToEnd } from '../helpers/gpmon-cli.js';

const GPMON = new URL('../../bin/gpmon.js', import.meta.url).pathname;

function gpmon(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [GPMON, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('gpmon simulator (CLI)', () => {
  it('--json prints one JSON line first, serves, and stops cleanly on SIGTERM', async () => {
    const child = gpmon(['simulator', '--json', '--fault', 'new_revision:revision=abc1234'], {
      GPMON_SIM_PASSWORD: 'from-the-environment',
    });
    const lines = createInterface({ input: child.stdout });
    const [first] = (await once(lines, 'line')) as [string];
    const d = JSON.parse(first) as Record<string, string>;
    assert.deepEqual(Object.keys(d).sort(), ['adminToken', 'adminUrl', 'api', 'app', 'auth', 'bypassKey', 'email', 'password', 'ws']);
    for (const key of ['app', 'auth', 'api']) assert.match(d[key] ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(d.ws ?? '', /^ws:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(d.password, 'from-the-environment');
    const info = (await (await fetch(`${d.api}/api/system/info`)).json()) as { git_commit: string };
    assert.equal(info.git_commit, 'abc1234');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });

  it('fixed ports by flag', async () => {
    // Port 0 asks the OS; a fixed port is echoed back in the URL.
    const probe = gpmon(['simulator', '--json']);
    const [line] = (await once(createInterface({ input: probe.stdout }), 'line')) as [string];
    const port = Number(new URL((JSON.parse(line) as { app: string }).app).port);
    probe.kill('SIGTERM');
    await once(probe, 'exit');
    const child = gpmon(['simulator', '--json', '--app-port', String(port)]);
    const [fixed] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    assert.equal((JSON.parse(fixed) as { app: string }).app, `http://127.0.0.1:${port}`);
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  const usage: [string, string[], RegExp][] = [
    ['an unknown fault', ['simulator', '--fault', 'meteor'], /--fault: fault "meteor": unknown fault "meteor"/],
    ['a bad latency and a bad login page at once', ['simulator', '--latency', 'tool=-1', '--login-page', 'sso'], /--latency: latency "tool=-1": tool: [^\n]*\n--login-page: "sso" is not form or oauth/],
    ['an unknown flag', ['simulator', '--colour'], /gpmon simulator: unknown option '--colour'/],
    ['a bad port', ['simulator', '--api-port', '70000'], /--api-port: "70000" is not a port number/],
    ['an unknown command', ['launch'], /gpmon: unknown command 'launch'/],
  ];
  for (const [name, args, message] of usage) {
    it(`exits 2 naming ${name}`, async () => {
      const { code, stderr } = await runToEnd(args);
      assert.equal(code, 2);
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    });
  }
});
