import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { PROJECT_ROOT } from '../helpers/journey-harness.js';
import { filesOf } from '../helpers/artifact-scan.js';
import { DEBIAN_HEADLESS_SHELL, chromiumLaunchOptions } from '../../src/browser/chromium.js';

const require = createRequire(import.meta.url);
const PLAYWRIGHT = require.resolve('@playwright/test/cli');

function withoutGpmonVariables(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  for (const name of Object.keys(env)) if (name.startsWith('GPMON_')) Reflect.deleteProperty(env, name);
  return env;
}

/** `npx playwright test` on the fixture journeys whose name matches `name` (test/fixtures/playwright.config.ts), its output kept under `outputDir`. */
function runFixture(name: string, outputDir: string, extra: readonly string[] = []): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [PLAYWRIGHT, 'test', '-c', 'test/fixtures/playwright.config.ts', name, ...extra, '--reporter', 'line', '--output', outputDir], {
    cwd: PROJECT_ROOT,
    env: withoutGpmonVariables(),
    encoding: 'utf8',
    timeout: 120_000,
  });
}

/** A journey is an ordinary Playwright test: run by hand, it checks an embedded simulator. */
describe('journeys run by hand', () => {
  let output: string;
  before(() => {
    output = mkdtempSync(join(tmpdir(), 'gpmon-byhand-'));
  });
  after(() => {
    rmSync(output, { recursive: true, force: true });
  });

  it('npx playwright test journeys/golden-path-api.spec.ts passes against an embedded simulator', () => {
    const result = spawnSync(process.execPath, [PLAYWRIGHT, 'test', 'journeys/golden-path-api.spec.ts', '--reporter', 'line', '--output', join(output, 'api')], {
      cwd: PROJECT_ROOT,
      env: withoutGpmonVariables(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /1 passed/);
  });

  it('a journey declared protocol gets no page: asking for one names the kind to declare', () => {
    const result = runFixture('protocol-with-page', join(output, 'protocol-page'));
    assert.equal(result.status, 1, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /the journey is declared kind: 'protocol', and a protocol journey has no browser: declare kind: 'browser' to use page/);
  });

  it('a journey declared with defineJourney runs only its declared steps: another fails, naming both', () => {
    const result = runFixture('undeclared-step', join(output, 'undeclared'));
    assert.equal(result.status, 1, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /step "surprise_step" is not one of the steps test\/fixtures\/journeys\/undeclared-step\.spec\.ts declares \(declared_step\)/);
  });

  it('--headed takes a browser that can show a window, never the headless shell', () => {
    // The fixture journey prints the launch options the kit's browser would get, and launches nothing.
    const result = runFixture('launch-options', join(output, 'headed'), ['--headed']);
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    const printed = /gpmon-launch (\{.*\})/.exec(result.stdout);
    assert.ok(printed?.[1] !== undefined, result.stdout);
    const launch = JSON.parse(printed[1]) as { headless: boolean; executablePath: string | null };
    assert.deepEqual(launch, { headless: false, executablePath: chromiumLaunchOptions({ env: {}, headless: false }).executablePath ?? null });
    assert.notEqual(launch.executablePath, DEBIAN_HEADLESS_SHELL);
  });

  it('test.use({ headless: false }), which the config cannot see, with the headless shell chosen: a clear error, never a silent headless run', () => {
    const result = runFixture('headed-by-use', join(output, 'headed-by-use'));
    if (chromiumLaunchOptions({ env: {} }).executablePath !== DEBIAN_HEADLESS_SHELL) return;
    assert.equal(result.status, 1, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /a headed run needs a browser that can show a window/);
  });
});

describe('a failed run by hand is redacted like a monitored one', () => {
  let sim: Simulator;
  let output: string;
  before(async () => {
    sim = await startSimulator();
    output = mkdtempSync(join(tmpdir(), 'gpmon-byhand-'));
  });
  after(async () => {
    await sim.stop();
    rmSync(output, { recursive: true, force: true });
  });

  it('test-results (trace entries included) and the terminal hold no token the run obtained and no configured secret', async () => {
    sim.state.enable({ name: 'close_1011', after: 'agent_thinking' });
    const d = sim.description;
    const env = {
      ...withoutGpmonVariables(),
      GPMON_APP_URL: d.app, GPMON_AUTH_URL: d.auth, GPMON_API_URL: d.api, GPMON_WS_URL: d.ws,
      GPMON_LOGIN: 'form', GPMON_EMAIL: d.email, GPMON_PASSWORD: d.password, GPMON_BYPASS_KEY: d.bypassKey,
      GPMON_EXPECTED_ANSWER: '^Golden path OK',
    };
    // Not spawnSync: the simulator answers from this process.
    const child = spawn(process.execPath, [PLAYWRIGHT, 'test', 'journeys/golden-path.spec.ts', '--reporter', 'list', '--output', output], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1, printed);
    const files = await filesOf(output);
    const names = files.map((f) => f.name);
    assert.ok(names.some((n) => n.endsWith('trace.zip')), `a trace among ${names.join(', ')}`);
    assert.ok(names.some((n) => n.endsWith('transcript.jsonl')), 'the transcript lies beside it');
    assert.ok(names.some((n) => n.includes('trace.zip!') && n.endsWith('.network')), 'the trace has its network log');
    const issued = sim.issuedTokens();
    assert.ok(issued.length >= 3, 'the run obtained tokens and a session cookie');
    const secrets = new Redactor([d.password, d.bypassKey, ...issued]);
    for (const { name, content } of [...files, { name: 'the terminal', content: Buffer.from(printed) }]) {
      const found = secrets.find(content);
      const at = found === undefined ? -1 : content.indexOf(found);
      assert.equal(found, undefined, `${name} holds a secret: …${content.subarray(Math.max(0, at - 300), at + 60).toString()}…`);
    }
  });
});
