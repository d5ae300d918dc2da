/**
 * The @elastic/synthetics peer of the side-by-side benchmark: installing it,
 * and the one command that runs its golden-path journey once
 * (bench/peers/elastic/journeys/golden-path.journey.ts).
 *
 * Elastic lives in its own folder, bench/peers/elastic, with its own
 * package.json and package-lock.json, because it pins its own Playwright
 * (`playwright`, `playwright-core` and `playwright-chromium` at exactly
 * 1.62.0 for @elastic/synthetics 1.26.3) while the root runs a newer
 * Playwright: in the root's node_modules the two would fight over one
 * `playwright-core`, and the benchmark would measure neither as it ships.
 * No browser is ever downloaded: the install skips Playwright's browser
 * download and the run points elastic at Debian's Chromium.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_FLAGS } from '../../src/browser/chromium.js';

/** bench/peers/elastic: elastic's own folder (package.json, lock, journeys/). */
export const ELASTIC_DIR = fileURLToPath(new URL('./elastic', import.meta.url));

/** Elastic's CLI, run with this process's node (not npx: npx's own start-up would be billed to elastic). */
const ELASTIC_CLI = join(ELASTIC_DIR, 'node_modules', '@elastic', 'synthetics', 'dist', 'cli.js');
const ELASTIC_PACKAGE = join(ELASTIC_DIR, 'node_modules', '@elastic', 'synthetics', 'package.json');

/** The flags gpmon gives Chromium (src/browser/chromium.ts): no sandbox as root, no GPU, no calls home. */
export const PEER_CHROMIUM_FLAGS: readonly string[] = CHROMIUM_FLAGS;

/** Playwright actions, navigations and the wait for the answer card give up after this (elastic's default is 50 s). */
const ACTION_TIMEOUT_MS = 15_000;

/** The environment for npm and for elastic: Playwright never downloads or looks for a browser of its own. */
function peerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
    PLAYWRIGHT_BROWSERS_PATH: '0',
    // Elastic reads NODE_ENV as its config "environment"; there is no config file, but keep it fixed.
    NODE_ENV: 'production',
  };
}

/** Debian's Chromium as the brief chooses it: its headless shell when installed, else the full browser. */
export function peerChromium(exists: (path: string) => boolean = existsSync): string {
  return exists('/usr/bin/chromium-headless-shell') ? '/usr/bin/chromium-headless-shell' : '/usr/bin/chromium';
}

function pinnedVersion(): string {
  const manifest = JSON.parse(readFileSync(join(ELASTIC_DIR, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return manifest.dependencies?.['@elastic/synthetics'] ?? '';
}

function installedVersion(): string | undefined {
  if (!existsSync(ELASTIC_PACKAGE) || !existsSync(ELASTIC_CLI)) return undefined;
  const manifest = JSON.parse(readFileSync(ELASTIC_PACKAGE, 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : undefined;
}

/** Runs a command to its end: its exit code (or the signal's name, or why it could not start) and its first error lines. */
function runToEnd(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | string; tail: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: peerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      if (output.length < 64_000) output += chunk.toString('utf8');
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: error.message, tail: output.slice(-500) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // npm's first error lines say what failed (code, request); the last ones only where its log is.
      const lines = output.trim().split('\n');
      const errors = lines.filter((line) => line.startsWith('npm error') && !/complete log|^npm error\s*$/.test(line));
      resolve({ code: code ?? signal ?? 'unknown', tail: (errors.length > 0 ? errors.slice(0, 6) : lines.slice(-6)).join('\n') });
    });
  });
}

/**
 * Makes sure the elastic peer is installed in bench/peers/elastic, apart from
 * the root because @elastic/synthetics pins its own Playwright (see the
 * module's comment). When its node_modules is missing, or holds another
 * version than package.json pins, runs `npm ci` there from its
 * package-lock.json with Playwright's browser download skipped (it runs
 * Debian's Chromium); install scripts follow the folder's `allowScripts`
 * (none runs: esbuild's and playwright-chromium's are not needed).
 * Resolves to the installed version, or to a problem a person can act on
 * (npm missing, no registry, a failed install) instead of throwing.
 */
export async function ensureElasticPeer(): Promise<{ ok: true; version: string } | { ok: false; problem: string }> {
  const pinned = pinnedVersion();
  const found = installedVersion();
  if (found !== undefined && found === pinned) return { ok: true, version: found };
  if (!existsSync(join(ELASTIC_DIR, 'package-lock.json'))) {
    return { ok: false, problem: `bench/peers/elastic has no package-lock.json: npm ci cannot install @elastic/synthetics ${pinned}` };
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const { code, tail } = await runToEnd(npm, ['ci', '--no-audit', '--no-fund', '--prefer-offline'], ELASTIC_DIR, 5 * 60_000);
  if (code !== 0) {
    const why = typeof code === 'number' ? `exited ${code}` : `did not finish (${code})`;
    return {
      ok: false,
      problem: `npm ci in bench/peers/elastic ${why}: @elastic/synthetics ${pinned} could not be installed (no npm registry reachable?)${tail === '' ? '' : `\n${tail}`}`,
    };
  }
  const installed = installedVersion();
  if (installed === undefined) return { ok: false, problem: 'npm ci in bench/peers/elastic succeeded, but @elastic/synthetics is not in its node_modules' };
  if (installed !== pinned) return { ok: false, problem: `npm ci in bench/peers/elastic installed @elastic/synthetics ${installed}, not the pinned ${pinned}` };
  return { ok: true, version: installed };
}

/** What one run of the elastic journey needs: the simulator's (or a target's) app and login, the prompt and the answer's RegExp source. */
export interface ElasticRunOptions {
  readonly appUrl: string;
  readonly username: string;
  readonly password: string;
  readonly prompt: string;
  readonly expectedAnswer: string;
  /** The browser elastic launches (see `peerChromium`). */
  readonly chromium: string;
}

/**
 * The exact command that runs elastic's golden-path journey once, as a cron
 * job would: elastic's own CLI (`synthetics journeys`, a plain local run:
 * no `push`, nothing sent to Kibana, and elastic sends no telemetry) from its
 * own folder, bench/peers/elastic, where it is installed apart from the root
 * because it pins its own Playwright (see the module's comment). Elastic
 * launches `options.chromium` headless with gpmon's Chromium flags through
 * `--playwright-options` (it spreads them into Playwright's
 * `chromium.launch()` and `browser.newContext()`); the journey's inputs go in
 * `--params`. A screenshot is taken only on failure. Exit code 0 when the
 * journey passed, non-zero when any step failed. Call `ensureElasticPeer()`
 * first. The password is in the arguments, as elastic's `--params` takes it:
 * fine for the simulator, visible to `ps` on a shared host.
 */
export function elasticRun(options: ElasticRunOptions): { command: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  const params = {
    appUrl: options.appUrl,
    username: options.username,
    password: options.password,
    prompt: options.prompt,
    expectedAnswer: options.expectedAnswer,
    answerTimeoutMs: ACTION_TIMEOUT_MS,
  };
  const playwrightOptions = {
    executablePath: options.chromium,
    headless: true,
    chromiumSandbox: false,
    args: [...PEER_CHROMIUM_FLAGS],
    actionTimeout: ACTION_TIMEOUT_MS,
    navigationTimeout: ACTION_TIMEOUT_MS,
  };
  return {
    command: process.execPath,
    args: [
      ELASTIC_CLI,
      'journeys',
      '--params',
      JSON.stringify(params),
      '--playwright-options',
      JSON.stringify(playwrightOptions),
      '--screenshots',
      'only-on-failure',
      '--reporter',
      'default',
    ],
    cwd: ELASTIC_DIR,
    env: peerEnv(),
  };
}
