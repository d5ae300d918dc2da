import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gpmon } from '../helpers/gpmon-cli.js';

/** `gpmon journeys`: the journeys as their files declare them, with what the config makes of them. */
describe('gpmon journeys', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpmon-journeys-cli-'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('with no config: each journey with its kind, file, steps and its own schedule, against the embedded simulator', async () => {
    const { code, stdout, stderr } = await gpmon(['journeys'], {}, { cwd: dir });
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout,
      [
        'golden-path-api (protocol, journeys/golden-path-api.spec.ts)',
        '  steps: login, connect, agent_request, live_events, ai_response',
        '  schedule: */15 * * * * * against the embedded simulator',
        'golden-path (browser, journeys/golden-path.spec.ts)',
        '  steps: login, connect, agent_request, live_events, ai_response',
        '  schedule: 0 * * * * * against the embedded simulator',
        'ws-auth-enforced (protocol, journeys/ws-auth-enforced.spec.ts)',
        '  steps: no_token, forged_token',
        '  schedule: 30 */5 * * * * against the embedded simulator',
        '',
      ].join('\n'),
    );
  });

  it("with a config: its schedules and targets, and 'off' for a journey it turns off", async () => {
    const file = join(dir, 'targets.config.mjs');
    const target = { name: 'staging', appUrl: 'https://app.example.test', authUrl: 'https://auth.example.test', apiUrl: 'https://api.example.test', wsUrl: 'wss://api.example.test', login: 'bypass', email: 'probe@example.test', bypassKeyEnv: 'STAGING_BYPASS_KEY' };
    writeFileSync(file, `export default ${JSON.stringify({ targets: [target], journeys: { 'golden-path': { schedule: '*/30 * * * * *' }, 'ws-auth-enforced': { enabled: false } } })};\n`);
    const { code, stdout, stderr } = await gpmon(['journeys', '--config', file], { STAGING_BYPASS_KEY: 'k' }, { cwd: dir });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^golden-path \(browser, journeys\/golden-path\.spec\.ts\)\n {2}steps: .*\n {2}schedule: \*\/30 \* \* \* \* \* against staging$/m);
    assert.match(stdout, /^ws-auth-enforced .*\n {2}steps: no_token, forged_token\n {2}schedule: off$/m);
  });

  it('a config with a problem: exit 2, every problem named, nothing listed', async () => {
    const file = join(dir, 'bad.config.mjs');
    writeFileSync(file, `export default ${JSON.stringify({ journeys: { 'golden-paht': {} } })};\n`);
    const { code, stdout, stderr } = await gpmon(['journeys', '--config', file], {}, { cwd: dir });
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /^gpmon journeys: 1 problem\n {2}.*bad\.config\.mjs: journeys\.golden-paht: unknown key\n$/);
  });

  it('an argument it does not take is a usage error', async () => {
    const { code, stderr } = await gpmon(['journeys', 'golden-path'], {}, { cwd: dir });
    assert.equal(code, 2);
    assert.match(stderr, /gpmon journeys: unexpected argument "golden-path"/);
  });
});
