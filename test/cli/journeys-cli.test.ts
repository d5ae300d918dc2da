import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gpmon, gpmonInProcess } from '../helpers/gpmon-cli.js';
import { PROJECT_ROOT } from '../../src/catalog/shipped.js';

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
        'concurrent-sessions (protocol, journeys/concurrent-sessions.spec.ts)',
        '  steps: login, connect, agent_request, live_events, ai_response',
        '  schedule: 50 */2 * * * * against the embedded simulator',
        'golden-path-api (protocol, journeys/golden-path-api.spec.ts)',
        '  steps: login, connect, agent_request, live_events, ai_response',
        '  schedule: */15 * * * * * against the embedded simulator',
        'golden-path (browser, journeys/golden-path.spec.ts)',
        '  steps: login, connect, agent_request, live_events, ai_response',
        '  schedule: 0 * * * * * against the embedded simulator',
        'platform-health (protocol, journeys/platform-health.spec.ts)',
        '  steps: tls, health, dependencies, cors',
        '  schedule: 20 * * * * * against the embedded simulator',
        'thread-follow-up (protocol, journeys/thread-follow-up.spec.ts)',
        '  steps: login, connect, agent_request, live_events, ai_response, follow_up',
        '  schedule: 45 */2 * * * * against the embedded simulator',
        'token-refresh (protocol, journeys/token-refresh.spec.ts)',
        '  steps: login, refresh, connect, agent_request, live_events, ai_response',
        '  schedule: 30 */2 * * * * against the embedded simulator',
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
    const { code, stdout, stderr } = await gpmonInProcess(['journeys', '--config', file], { STAGING_BYPASS_KEY: 'k' });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^golden-path \(browser, journeys\/golden-path\.spec\.ts\)\n {2}steps: .*\n {2}schedule: \*\/30 \* \* \* \* \* against staging$/m);
    assert.match(stdout, /^ws-auth-enforced .*\n {2}steps: no_token, forged_token\n {2}schedule: off$/m);
  });

  it('a config with a problem: exit 2, every problem named, nothing listed', async () => {
    const file = join(dir, 'bad.config.mjs');
    writeFileSync(file, `export default ${JSON.stringify({ journeys: { 'golden-paht': {} } })};\n`);
    const { code, stdout, stderr } = await gpmonInProcess(['journeys', '--config', file]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(
      stderr,
      `gpmon journeys: 1 problem (config ${file})\n  journeys.golden-paht: no journey file declares "golden-paht" (did you mean "golden-path"?); known: concurrent-sessions, golden-path-api, golden-path, platform-health, thread-follow-up, token-refresh, ws-auth-enforced\n`,
    );
  });

  it("a journey added as a file in a folder the config's journeyDirs lists: listed, with the config's settings for it", async () => {
    const file = join(dir, 'authored.config.mjs');
    // journeyDirs are relative to the config file's folder; this one is the project's fixture of an author's journey.
    writeFileSync(file, `export default ${JSON.stringify({ journeyDirs: [join(PROJECT_ROOT, 'test/fixtures/discovery/good')], journeys: { 'my-checkout': { schedule: '*/20 * * * * *' } } })};\n`);
    const { code, stdout, stderr } = await gpmonInProcess(['journeys', '--config', file]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^my-checkout \(protocol, test\/fixtures\/discovery\/good\/my-checkout\.spec\.ts\)\n {2}steps: open_cart, pay\n {2}schedule: \*\/20 \* \* \* \* \* against the embedded simulator$/m);
  });

  it('a journey file that does not load, in a listed folder, and a folder that is not there: exit 2, each named', async () => {
    const file = join(dir, 'broken.config.mjs');
    writeFileSync(file, `export default ${JSON.stringify({ journeyDirs: [join(PROJECT_ROOT, 'test/fixtures/discovery/bad-defaults'), 'no-such-folder'] })};\n`);
    const { code, stdout, stderr } = await gpmonInProcess(['journeys', '--config', file]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(
      stderr,
      [
        `gpmon journeys: 3 problems (config ${file})`,
        `  journeyDirs: no-such-folder: no such folder of journeys (${join(dir, 'no-such-folder')})`,
        '  test/fixtures/discovery/bad-defaults/slo-and-timeout.spec.ts: slo.pay: not a step of the journey (open_cart)',
        '  test/fixtures/discovery/bad-defaults/slo-and-timeout.spec.ts: stepTimeoutMs: 9000 is longer than timeoutMs 5000',
        '',
      ].join('\n'),
    );
  });

  it('an argument it does not take is a usage error', async () => {
    const { code, stderr } = await gpmonInProcess(['journeys', 'golden-path']);
    assert.equal(code, 2);
    assert.match(stderr, /gpmon journeys: unexpected argument "golden-path"/);
  });
});
