/**
 * The bench's processes: the staging simulator (`gpmon simulator`) and the
 * monitor under test (`gpmon serve`), each its own process, so the monitor's
 * process tree holds only the monitor (its runners and their browsers) and
 * never the target's work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_ROOT, shippedJourneys } from '../../src/catalog/shipped.js';
import type { RunRecord } from '../../src/model/run-record.js';
import type { SimulatorDescription } from '../../src/simulator/simulator.js';

const GPMON = join(PROJECT_ROOT, 'bin/gpmon.js');

/** What `gpmon simulator --json` prints first: the simulator's own description of itself. */
export type SimulatorInfo = SimulatorDescription;

export interface SimulatorProcess {
  readonly info: SimulatorInfo;
  readonly pid: number;
  /** GET on the admin API (a path such as `/state`), its JSON. */
  admin<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/** Waits for a child's exit, killing it with SIGKILL after `graceMs` (the timer cleared once it exits, so nothing keeps the bench alive). */
async function ended(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const late = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(late);
      resolve();
    });
  });
}

/** `gpmon simulator --json` on loopback, free ports. */
export async function startSimulatorProcess(extraArgs: readonly string[] = []): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, [GPMON, 'simulator', '--json', ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => { reject(new Error(`gpmon simulator exited ${String(code)} before it printed its URLs`)); });
  });
  const info = JSON.parse(first) as SimulatorInfo;
  return {
    info,
    pid: child.pid ?? 0,
    admin: async <T>(path: string): Promise<T> => {
      const response = await fetch(`${info.adminUrl}${path}`, { headers: { authorization: `Bearer ${info.adminToken}` } });
      if (!response.ok) throw new Error(`simulator admin ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await ended(child, 10_000);
    },
  };
}

/** The simulator as a target of the config under `name`: the password form's login (as the peers log in), its password from SIM_PASSWORD. */
export function simulatorTargetConfig(info: SimulatorInfo, name: string): Record<string, unknown> {
  return { name, appUrl: info.app, authUrl: info.auth, apiUrl: info.api, wsUrl: info.ws, login: 'form', email: info.email, passwordEnv: 'SIM_PASSWORD' };
}

export interface ServeProcess {
  readonly pid: number;
  readonly url: string;
  /** The folder of its config, run history and runs. */
  readonly dir: string;
  /** Every finished run of `journey`, newest first, whole records (at most `limit`). */
  runs(journey: string, limit?: number): Promise<RunRecord[]>;
  /** The /metrics exposition. */
  metrics(): Promise<string>;
  /** POST to the API with the token. */
  post(path: string, body: unknown): Promise<number>;
  /** Error-level lines the monitor logged so far. */
  errorLines(): readonly string[];
  /** SIGTERM and wait for its exit (it drains its runs first). */
  stop(): Promise<void>;
}

const TOKEN = 'bench-token-0123456789abcdef';

/**
 * `gpmon serve` on a free loopback port with a config of its own: the given
 * journeys on, every other shipped journey off; `runs` and `extra` are merged
 * into the config. Resolves once it listens.
 */
export async function startServe(options: {
  readonly sim: SimulatorInfo;
  readonly targets: readonly string[];
  readonly journeys: Record<string, Record<string, unknown>>;
  readonly runs?: Record<string, unknown>;
  readonly extra?: Record<string, unknown>;
  /** More environment for the monitor (a variable it passes on needs `runs.passEnv`). */
  readonly env?: Record<string, string>;
}): Promise<ServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'gpmon-bench-serve-'));
  const journeys: Record<string, Record<string, unknown>> = {};
  for (const j of await shippedJourneys()) journeys[j.name] = { enabled: false };
  Object.assign(journeys, options.journeys);
  const config = {
    targets: options.targets.map((name) => simulatorTargetConfig(options.sim, name)),
    journeys,
    server: { port: 0 },
    runs: { dir: join(dir, 'runs'), database: join(dir, 'gpmon.db'), jitterMs: 0, ...options.runs },
    ...options.extra,
  };
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(dir, 'monitor.config.ts'), `export default ${JSON.stringify(config, null, 2)};\n`);
  const child = spawn(process.execPath, [GPMON, 'serve', '--config', join(dir, 'monitor.config.ts')], {
    cwd: dir,
    env: { ...process.env, GPMON_LOG_LEVEL: 'warn', GPMON_API_TOKEN: TOKEN, SIM_PASSWORD: options.sim.password, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    // pino's levels: 50 error, 60 fatal.
    if (/"level":(5|6)\d/.test(line)) errors.push(line);
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 120_000;
  let url: string | undefined;
  while (url === undefined) {
    const problem = child.exitCode !== null || child.signalCode !== null ? `gpmon serve exited ${String(child.exitCode ?? child.signalCode)}: ${stderr}` : Date.now() > deadline ? `gpmon serve did not listen in 120 s: ${stderr}` : undefined;
    if (problem !== undefined) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(problem);
    }
    url = /gpmon serve: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
    if (url === undefined) await sleep(100);
  }
  const base = url;
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const list = async (journey: string, limit: number) => (await get<{ runs: { id: string }[] }>(`/api/runs?journey=${journey}&limit=${limit}`)).runs;
  return {
    pid: child.pid ?? 0,
    url: base,
    dir,
    runs: async (journey, limit = 1000) => Promise.all((await list(journey, limit)).map((r) => get<RunRecord>(`/api/runs/${r.id}`))),
    metrics: async () => (await fetch(`${base}/metrics`)).text(),
    post: async (path, body) => (await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).status,
    errorLines: () => errors,
    stop: async () => {
      child.kill('SIGTERM');
      await ended(child, 60_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` is true, polling every `everyMs`; throws naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The sum of a counter's samples in an exposition whose name (and labels, if given) match. */
export function counterSum(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Quantile q (0..1) of the values, nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}
