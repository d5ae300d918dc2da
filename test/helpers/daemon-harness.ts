import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { discoverJourneys } from '../../src/catalog/discover.js';
import { startDaemon, type Daemon } from '../../src/monitor/daemon.js';
import { PROJECT_ROOT } from './journey-harness.js';
import { SHIPPED, onlyJourneys } from './shipped.js';

export const TOKEN = 'test-api-token-0123456789';

/** A simulator, and a monitor daemon watching it with the given journey settings. */
export interface DaemonHarness {
  readonly sim: Simulator;
  readonly daemon: Daemon;
  readonly dir: string;
  readonly rawConfig: Record<string, unknown>;
  api(method: string, path: string, options?: { token?: string | null; body?: unknown; accept?: string }): Promise<{ status: number; json: unknown; text: string; headers: Headers }>;
  stop(): Promise<void>;
}

/** The config's target for a simulator: its URLs, the bypass login, and its CA file when it serves TLS. */
export function targetFor(sim: Simulator): Record<string, unknown> {
  const d = sim.description;
  return {
    name: 'sim',
    appUrl: d.app,
    authUrl: d.auth,
    apiUrl: d.api,
    wsUrl: d.ws,
    login: 'bypass',
    email: 'daemon.probe@gpmon.test',
    bypassKeyEnv: 'SIM_BYPASS_KEY',
    ...(d.caFile === undefined ? {} : { caFile: d.caFile }),
  };
}

/**
 * Runs the journeys `journeys` names (every other shipped journey off) on a
 * daemon against a simulator. `extra` is merged into the config; its
 * `journeyDirs` (absolute paths: folders of journey files beside the shipped
 * ones) are discovered as the config loader would, and stay in the written
 * config.json. A journey found there is on unless `journeys` turns it off.
 * With `tls`, the simulator serves https and wss, the target trusting its CA.
 */
export async function startDaemonHarness(
  journeys: Record<string, Record<string, unknown>>,
  extra: Record<string, unknown> & { journeyDirs?: readonly string[] } = {},
  options: { readonly tls?: boolean } = {},
): Promise<DaemonHarness> {
  const found = await discoverJourneys(PROJECT_ROOT, (extra.journeyDirs ?? []).map((path) => ({ path, label: `journeyDirs: ${path}` })));
  if (!found.ok) throw new Error(found.problems.join('\n'));
  const sim = await startSimulator(options.tls === true ? { tls: true } : {});
  const dir = mkdtempSync(join(tmpdir(), 'gpmon-daemon-'));
  const rawConfig = { targets: [targetFor(sim)], journeys: onlyJourneys(journeys), server: { port: 0 }, runs: { dir: join(dir, 'runs') }, ...extra };
  const resolved = resolveConfig(rawConfig, { SIM_BYPASS_KEY: sim.description.bypassKey }, [...SHIPPED, ...found.journeys]);
  if (!resolved.ok) {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(resolved.problems.join('\n'));
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(rawConfig));
  const daemon = await startDaemon({ config: resolved.config, projectRoot: PROJECT_ROOT, logger: pino({ level: 'silent' }), version: 'test', playwrightVersion: 'test', token: TOKEN, cwd: dir });
  return {
    sim,
    daemon,
    dir,
    rawConfig,
    api: async (method, path, options = {}) => {
      const headers: Record<string, string> = {};
      const token = options.token === undefined ? TOKEN : options.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      if (options.accept !== undefined) headers.accept = options.accept;
      const response = await fetch(`${daemon.url}${path}`, { method, headers, ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}) });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, json, text, headers: response.headers };
    },
    stop: async () => {
      await daemon.stop();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
