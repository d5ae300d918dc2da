import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/config/resolve.js';
import { socketUrl } from '../../src/model/target.js';
import { gpmon } from '../helpers/gpmon-cli.js';
import { SHIPPED } from '../helpers/shipped.js';

const target = { name: 'staging', appUrl: 'https://app.example.test', authUrl: 'https://auth.example.test', apiUrl: 'https://api.example.test', wsUrl: 'wss://api.example.test', login: 'bypass', email: 'probe@example.test', bypassKeyEnv: 'STAGING_BYPASS_KEY' };
const env = { STAGING_BYPASS_KEY: 'k'.repeat(24) };

describe('config validation: each kind of mistake, named by its path', () => {
  const bad: [string, unknown, NodeJS.ProcessEnv, string[]][] = [
    ['a bad cron expression', { journeys: { 'golden-path': { schedule: '61 * * * *' } } }, {}, ['journeys.golden-path.schedule: "61 * * * *" is not a valid cron expression']],
    ['an unknown key', { journeys: { 'golden-path': { shedule: '* * * * *' } } }, {}, ['journeys.golden-path.shedule: unknown key']],
    ['an unknown journey, close to a known one', { journeys: { 'golden-paht': {} } }, {}, ['journeys.golden-paht: no journey file declares "golden-paht" (did you mean "golden-path"?); known: concurrent-sessions, golden-path-api, golden-path, platform-health, thread-follow-up, token-refresh, ws-auth-enforced']],
    ['a journey parameter its file does not declare', { journeys: { 'concurrent-sessions': { params: { user: 5 } } } }, {}, ['journeys.concurrent-sessions.params.user: not a parameter of concurrent-sessions (did you mean "users"?); known: users']],
    ['a journey parameter of another type than its default', { journeys: { 'concurrent-sessions': { params: { users: 'five' } } } }, {}, ['journeys.concurrent-sessions.params.users: must be a number, as the journey\'s default 3 is (got "five")']],
    ['a journey parameter outside its bounds', { journeys: { 'concurrent-sessions': { params: { users: 50 } } } }, {}, ['journeys.concurrent-sessions.params.users: must be at most 20 (got 50)']],
    ['a journey parameter that must be whole', { journeys: { 'concurrent-sessions': { params: { users: 2.5 } } } }, {}, ['journeys.concurrent-sessions.params.users: must be a whole number (got 2.5)']],
    ['a journey parameter that is null', { journeys: { 'concurrent-sessions': { params: { users: null } } } }, {}, ['journeys.concurrent-sessions.params.users: must be a number, a string or a boolean']],
    ['parameters for a journey that declares none', { journeys: { 'golden-path': { params: { users: 2 } } } }, {}, ['journeys.golden-path.params.users: not a parameter of golden-path; known: none']],
    ['an unknown journey, close to none', { journeys: { checkout: { enabled: true } } }, {}, ['journeys.checkout: no journey file declares "checkout"; known: concurrent-sessions, golden-path-api, golden-path, platform-health, thread-follow-up, token-refresh, ws-auth-enforced']],
    ['a journey folder that is not a list', { journeyDirs: 'my-journeys' }, {}, ['journeyDirs: Invalid input: expected array, received string']],
    ['a bad URL, named by the target', { targets: [{ ...target, appUrl: 'not a url' }] }, env, ['targets.staging.appUrl: Invalid URL']],
    ['an http URL for the WebSocket', { targets: [{ ...target, wsUrl: 'https://api.example.test' }] }, env, ['targets.staging.wsUrl: must be a ws:// or wss:// URL']],
    ['a WebSocket URL with a fragment', { targets: [{ ...target, wsUrl: 'wss://api.example.test/ws#token' }] }, env, ['targets.staging.wsUrl: must not have a #fragment (a WebSocket URL has none)']],
    ['a missing secret variable name', { targets: [{ ...target, bypassKeyEnv: undefined }] }, env, ['targets.staging.bypassKeyEnv: required for bypass login (the environment variable that holds the secret)']],
    ['a secret variable that is not set', { targets: [target] }, {}, ['targets.staging.bypassKeyEnv: environment variable STAGING_BYPASS_KEY is not set']],
    ['an unknown key in a target', { targets: [{ ...target, pasword: 'x' }] }, env, ['targets.staging.pasword: unknown key']],
    ['a duplicate target', { targets: [target, target] }, env, ['targets.staging: the name is used twice']],
    ['a journey on an unknown target', { targets: [target], journeys: { 'golden-path': { targets: ['prod'] } } }, env, ['journeys.golden-path.targets: unknown target "prod"; known: staging']],
    ['an SLO on a step the journey does not have', { journeys: { 'ws-auth-enforced': { slo: { login: 100 } } } }, {}, ['journeys.ws-auth-enforced.slo.login: not a step of ws-auth-enforced (no_token, forged_token)']],
    ['a bad answer pattern', { journeys: { 'golden-path-api': { expectedAnswer: '([' } } }, {}, ['journeys.golden-path-api.expectedAnswer: is not a valid regular expression']],
    ['buckets that do not increase', { metrics: { stepBucketsSeconds: [1, 0.5] } }, {}, ['metrics.stepBucketsSeconds: bucket bounds must increase']],
    ['a port out of range', { server: { port: 70000 } }, {}, ['server.port: Too big: expected number to be <=65535']],
    ['one failed run paging', { journeys: { 'golden-path': { pageAfterFailures: 1 } } }, {}, ['journeys.golden-path.pageAfterFailures: Too small: expected number to be >=2']],
    ['a step timeout longer than the journey', { journeys: { 'golden-path-api': { timeoutMs: 5000, stepTimeoutMs: 8000 } } }, {}, ['journeys.golden-path-api.stepTimeoutMs: 8000 is longer than timeoutMs 5000']],
    ['runs.passEnv naming the API token', { runs: { passEnv: ['GPMON_API_TOKEN'] } }, {}, ['runs.passEnv: GPMON_API_TOKEN: gpmon\'s own variables (the API token, the environment target\'s secrets) are never passed to journeys']],
    ['runs.passEnv naming a target\'s secret', { targets: [target], runs: { passEnv: ['STAGING_BYPASS_KEY'] } }, env, ['runs.passEnv: STAGING_BYPASS_KEY holds a target\'s secret; each journey gets its own target\'s secret, and only that']],
    ['runs.passEnv with a name that is no variable', { runs: { passEnv: ['lower-case'] } }, {}, ['runs.passEnv.0: must be an environment variable name (A-Z, 0-9, _)']],
    ['a warm runner of no runs', { runs: { runnerRuns: 0 } }, {}, ['runs.runnerRuns: Too small: expected number to be >=1']],
    ['a warm runner of a fraction of a run', { runs: { runnerRuns: 2.5 } }, {}, ['runs.runnerRuns: Invalid input: expected int, received number']],
    ['a warm runner memory limit under a browser\'s', { runs: { runnerRssMb: 50 } }, {}, ['runs.runnerRssMb: Too small: expected number to be >=100']],
    ['a warm runner without prewarm', { runs: { prewarm: false, runnerRuns: 5 } }, {}, ['runs.runnerRuns: has no effect with runs.prewarm false (each run starts a process of its own); drop one of them']],
    ['an external URL that is not absolute', { server: { externalUrl: 'gpmon.example.com' } }, {}, ['server.externalUrl: is not an absolute URL (for example https://gpmon.example.com)']],
    ['an external URL of another scheme', { server: { externalUrl: 'ftp://gpmon.example.com' } }, {}, ['server.externalUrl: must be an http:// or https:// URL (got ftp:)']],
    ['an external URL with a password (never echoed)', { server: { externalUrl: 'https://ops:hunter2@gpmon.example.com' } }, {}, ['server.externalUrl: must not hold a user name or password: it is shown in alerts, metrics and dashboards']],
    ['an external URL with a query', { server: { externalUrl: 'https://gpmon.example.com/?x=1' } }, {}, ['server.externalUrl: must not have a ?query: links are built by appending paths to it']],
    ['an external URL with a fragment', { server: { externalUrl: 'https://gpmon.example.com/#top' } }, {}, ['server.externalUrl: must not have a #fragment: links are built by appending to it']],
    ['an external URL that is not a string', { server: { externalUrl: 8080 } }, {}, ['server.externalUrl: Invalid input: expected string, received number']],
    ['a bad GPMON_EXTERNAL_URL, named as the variable', {}, { GPMON_EXTERNAL_URL: 'localhost:9595' }, ['GPMON_EXTERNAL_URL: must be an http:// or https:// URL (got localhost:)']],
    ['a runbook URL with a fragment (the alert adds its own)', { server: { runbookUrl: 'https://wiki.example.com/gpmon#alerts' } }, {}, ['server.runbookUrl: must not have a #fragment: links are built by appending to it']],
    ['a bad GPMON_RUNBOOK_URL, named as the variable', {}, { GPMON_RUNBOOK_URL: 'wiki/gpmon' }, ['GPMON_RUNBOOK_URL: is not an absolute URL (for example https://gpmon.example.com)']],
  ];
  for (const [name, raw, environment, problems] of bad) {
    it(name, () => {
      assert.deepEqual(resolveConfig(raw, environment, SHIPPED), { ok: false, problems });
    });
  }

  it('reports every problem at once', () => {
    const result = resolveConfig({ targets: [{ ...target, email: 'nope' }], server: { port: -1 }, runs: { concurrency: 0 } }, env, SHIPPED);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.problems.length, 3, result.problems.join('\n'));
  });

  it('no config: every journey on the embedded simulator, SLOs among the step buckets', () => {
    const result = resolveConfig(undefined, {}, SHIPPED);
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.config.targets, 'simulator');
    assert.deepEqual(result.config.journeys.map((j) => [j.definition.name, j.schedule, j.enabled]), [
      ['concurrent-sessions', '50 */2 * * * *', true],
      ['golden-path-api', '*/15 * * * * *', true],
      ['golden-path', '0 * * * * *', true],
      ['platform-health', '20 * * * * *', true],
      ['thread-follow-up', '45 */2 * * * *', true],
      ['token-refresh', '30 */2 * * * *', true],
      ['ws-auth-enforced', '30 */5 * * * *', true],
    ]);
    for (const slo of [3, 1, 2, 10]) assert.ok(result.config.buckets.step.includes(slo), `${slo} s among the step buckets`);
    assert.ok(result.config.buckets.event.includes(2), 'the agent_request SLO among the event buckets (time to first event)');
    assert.deepEqual([result.config.runs.prewarm, result.config.runs.runnerRuns, result.config.runs.runnerRssMb], [true, 50, 1500], 'a warm runner of 50 runs, replaced past 1500 MB');
    assert.ok(result.config.journeys.every((j) => !j.artifacts.traceScreenshots), 'every journey traces without the screencast');
    // Alerting: page after 3 failures in a row; stale after 3 intervals, the schedule's or the timeout when longer.
    assert.deepEqual(result.config.journeys.map((j) => [j.definition.name, j.pageAfterFailures, j.intervalSeconds]), [
      ['concurrent-sessions', 3, 120],
      ['golden-path-api', 3, 30],
      ['golden-path', 3, 60],
      ['platform-health', 3, 60],
      ['thread-follow-up', 3, 120],
      ['token-refresh', 3, 120],
      ['ws-auth-enforced', 3, 300],
    ]);
    assert.deepEqual(
      result.config.journeys.map((j) => [j.definition.name, j.stepTimeoutMs, j.slo]),
      [
        ['concurrent-sessions', 15_000, { login: 3000, connect: 1000, agent_request: 2000, live_events: 10_000, ai_response: 2000 }],
        ['golden-path-api', 15_000, { login: 3000, connect: 1000, agent_request: 2000, live_events: 10_000, ai_response: 2000 }],
        ['golden-path', 15_000, { login: 3000, connect: 1000, agent_request: 2000, live_events: 10_000, ai_response: 2000 }],
        ['platform-health', 5000, { tls: 2000, health: 1000, dependencies: 2000, cors: 1000 }],
        ['thread-follow-up', 15_000, { login: 3000, connect: 1000, agent_request: 2000, live_events: 10_000, ai_response: 2000, follow_up: 12_000 }],
        ['token-refresh', 15_000, { login: 3000, refresh: 2000, connect: 1000, agent_request: 2000, live_events: 10_000, ai_response: 2000 }],
        ['ws-auth-enforced', 15_000, { no_token: 1000, forged_token: 1000 }],
      ],
      "each journey file's own step timeout and objectives",
    );
  });

  it("a journey's parameters: its file's defaults, the config's values over them, in the run's inputs", () => {
    const result = resolveConfig({ journeys: { 'concurrent-sessions': { params: { users: 5 } } } }, {}, SHIPPED);
    assert.equal(result.ok, true);
    if (!result.ok) return;
    const inputsOf = (name: string) => result.config.journeys.find((j) => j.definition.name === name)?.inputs;
    assert.deepEqual(inputsOf('concurrent-sessions')?.params, { users: 5 });
    assert.equal(inputsOf('golden-path')?.params, undefined, 'a journey that declares none has none');
    const defaults = resolveConfig(undefined, {}, SHIPPED);
    assert.deepEqual(defaults.ok ? defaults.config.journeys.find((j) => j.definition.name === 'concurrent-sessions')?.inputs.params : undefined, { users: 3 });
  });

  it('the external URL and the runbook: absolute http(s), trailing slashes dropped, the environment over the config, the runbook under the external URL by default', () => {
    const server = (raw: unknown, environment: NodeJS.ProcessEnv = {}) => {
      const result = resolveConfig(raw, environment, SHIPPED);
      assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
      const { externalUrl, runbookUrl } = result.config.server;
      return { externalUrl, runbookUrl };
    };
    assert.deepEqual(server(undefined), { externalUrl: undefined, runbookUrl: undefined }, 'neither set: no links');
    assert.deepEqual(server({ server: { externalUrl: 'https://GPMON.example.com/' } }), { externalUrl: 'https://gpmon.example.com', runbookUrl: 'https://gpmon.example.com/runbook' });
    assert.deepEqual(server({ server: { externalUrl: 'http://ops.example.com:8080/tools/gpmon//' } }), { externalUrl: 'http://ops.example.com:8080/tools/gpmon', runbookUrl: 'http://ops.example.com:8080/tools/gpmon/runbook' }, 'a path prefix behind a proxy');
    assert.deepEqual(server({ server: { externalUrl: 'https://gpmon.example.com:443' } }), { externalUrl: 'https://gpmon.example.com', runbookUrl: 'https://gpmon.example.com/runbook' }, 'the default port dropped');
    assert.deepEqual(
      server({ server: { externalUrl: 'https://config.example.com', runbookUrl: 'https://wiki.example.com/pages/viewpage.action?pageId=42' } }, { GPMON_EXTERNAL_URL: 'https://env.example.com/' }),
      { externalUrl: 'https://env.example.com', runbookUrl: 'https://wiki.example.com/pages/viewpage.action?pageId=42' },
      'GPMON_EXTERNAL_URL wins over server.externalUrl; a runbook page may be addressed by a query',
    );
    assert.deepEqual(server({ server: { runbookUrl: 'https://wiki.example.com/gpmon' } }, { GPMON_RUNBOOK_URL: 'https://runbooks.example.com/gpmon' }), { externalUrl: undefined, runbookUrl: 'https://runbooks.example.com/gpmon' }, 'GPMON_RUNBOOK_URL wins; a runbook without an external URL');
    assert.deepEqual(server({ server: { externalUrl: 'https://gpmon.example.com' } }, { GPMON_EXTERNAL_URL: '', GPMON_RUNBOOK_URL: ' ' }), { externalUrl: 'https://gpmon.example.com', runbookUrl: 'https://gpmon.example.com/runbook' }, 'an empty variable is not set');
  });

  it('a target from the environment when none is configured', () => {
    const result = resolveConfig({}, { GPMON_TARGET: 'ci', GPMON_APP_URL: 'https://a.test', GPMON_AUTH_URL: 'https://b.test', GPMON_API_URL: 'https://c.test', GPMON_WS_URL: 'wss://c.test', GPMON_LOGIN: 'bypass', GPMON_EMAIL: 'x@y.test', GPMON_BYPASS_KEY: 'secret-key' }, SHIPPED);
    assert.equal(result.ok, true);
    if (result.ok && result.config.targets !== 'simulator') {
      assert.equal(result.config.targets[0]?.target.name, 'ci');
      assert.equal(result.config.targets[0]?.secrets.bypassKey, 'secret-key');
    }
  });
});

describe('the socket URL: a URL with a path is used as given, a bare origin gets /ws', () => {
  for (const [given, used] of [
    ['wss://api.example.test', 'wss://api.example.test/ws'],
    ['wss://api.example.test/', 'wss://api.example.test/ws'],
    ['ws://127.0.0.1:8080', 'ws://127.0.0.1:8080/ws'],
    ['wss://api.example.test/ws', 'wss://api.example.test/ws'],
    ['wss://api.example.test/api/live', 'wss://api.example.test/api/live'],
    ['wss://api.example.test/ws?v=2', 'wss://api.example.test/ws?v=2'],
    ['wss://api.example.test/?v=2', 'wss://api.example.test/?v=2'],
  ] as const) {
    it(`${given} → ${used}`, () => {
      assert.equal(socketUrl(given), used);
    });
  }

  it('from the environment and from a config file alike (GPMON_WS_URL=wss://host/ws is not /ws/ws)', () => {
    const fromEnv = resolveConfig({}, { GPMON_APP_URL: 'https://a.test', GPMON_AUTH_URL: 'https://b.test', GPMON_API_URL: 'https://c.test', GPMON_WS_URL: 'wss://c.test/ws', GPMON_LOGIN: 'bypass', GPMON_EMAIL: 'x@y.test', GPMON_BYPASS_KEY: 'secret-key' }, SHIPPED);
    const fromFile = resolveConfig({ targets: [{ ...target, wsUrl: 'wss://api.example.test/ws/' }, { ...target, name: 'bare', wsUrl: 'wss://api.example.test' }] }, env, SHIPPED);
    assert.ok(fromEnv.ok && fromEnv.config.targets !== 'simulator' && fromFile.ok && fromFile.config.targets !== 'simulator');
    assert.equal(fromEnv.config.targets[0]?.target.wsUrl, 'wss://c.test/ws');
    assert.deepEqual(fromFile.config.targets.map((t) => t.target.wsUrl), ['wss://api.example.test/ws', 'wss://api.example.test/ws']);
  });
});

describe('gpmon validate', () => {
  it('prints the URLs each target will use, the socket path included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-config-'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    try {
      const file = join(dir, 'urls.config.ts');
      const targets = [{ ...target, wsUrl: 'wss://api.example.test/ws' }, { ...target, name: 'bare', wsUrl: 'wss://api.example.test' }];
      writeFileSync(file, `export default ${JSON.stringify({ targets })};\n`);
      const result = await gpmon(['validate', '--config', file], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /staging: app https:\/\/app\.example\.test, auth https:\/\/auth\.example\.test, api https:\/\/api\.example\.test, socket wss:\/\/api\.example\.test\/ws\n/);
      assert.match(result.stdout, /bare: .*socket wss:\/\/api\.example\.test\/ws\n/);
      assert.doesNotMatch(result.stdout, /\/ws\/ws/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints every problem and exits 2; a good file exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-config-'));
    // Like the project itself: ES modules.
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    try {
      const badFile = join(dir, 'bad.config.ts');
      writeFileSync(badFile, `export default { journeys: { 'golden-path': { schedule: '61 * * * *', timeoutMs: 5 } }, server: { port: 'x' } };\n`);
      const bad = await gpmon(['validate', '--config', badFile]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /3 problems/);
      assert.match(bad.stderr, /journeys\.golden-path\.schedule: "61 \* \* \* \*" is not a valid cron expression/);
      assert.match(bad.stderr, /journeys\.golden-path\.timeoutMs: Too small/);
      assert.match(bad.stderr, /server\.port: Invalid input: expected number, received string/);
      const goodFile = join(dir, 'good.config.ts');
      writeFileSync(goodFile, `import { defineConfig } from '${process.cwd()}/src/config/schema.ts';\nexport default defineConfig({ journeys: { 'golden-path': { enabled: false } } });\n`);
      const good = await gpmon(['validate', '--config', goodFile]);
      assert.equal(good.code, 0, good.stderr);
      assert.match(good.stdout, /golden-path: off/);
      const missing = await gpmon(['validate', '--config', join(dir, 'nope.ts')]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /config file .*nope\.ts does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a config whose top-level await never settles: exit 2, "did not finish loading", for validate and serve', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-config-'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    try {
      const file = join(dir, 'hangs.config.ts');
      writeFileSync(file, 'await new Promise(() => {});\nexport default {};\n');
      for (const command of ['validate', 'serve']) {
        const result = await gpmon([command, '--config', file], { GPMON_CONFIG_LOAD_TIMEOUT_MS: '1500' });
        assert.equal(result.code, 2, `${command}: ${result.stderr}`);
        assert.match(result.stderr, /hangs\.config\.ts: did not finish loading within 1\.5 s/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a default export that is not a config object (null, a number, an array) is refused, never read as the defaults', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-config-'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    try {
      for (const [value, words] of [['null', 'null'], ['42', 'a number'], ['[]', 'an array']] as const) {
        const file = join(dir, `x${words.replace(/\W/g, '')}.config.ts`);
        writeFileSync(file, `export default ${value};\n`);
        for (const command of ['validate', 'serve']) {
          const result = await gpmon([command, '--config', file]);
          assert.equal(result.code, 2, `${command} ${value}: ${result.stderr}`);
          assert.match(result.stderr, new RegExp(`the default export is ${words}, not a config object`));
        }
      }
      assert.equal(resolveConfig(null, {}, SHIPPED).ok, false, 'null is no config, in-process too');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
