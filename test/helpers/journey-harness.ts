import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator, simulatorTarget } from '../../src/simulator/simulator.js';
import { type Target, type TargetSecrets } from '../../src/model/target.js';
import { journeyNamed } from './shipped.js';
import { Executor } from '../../src/run/executor.js';
import { journeyRunSettings } from '../../src/config/resolve.js';
import type { JourneyDefinition } from '../../src/model/journey.js';
import type { LatencyProfile } from '../../src/simulator/profile.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { connectAs, login } from './sim-client.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The simulator, an executor (warm runners, each with its own browser and a fresh context per run) and a runs folder: what journey tests run on. */
export interface Harness {
  readonly sim: Simulator;
  readonly target: Target;
  readonly secrets: TargetSecrets;
  readonly executor: Executor;
  readonly runsDir: string;
  run(journey: string, options?: { prompt?: string; expectedAnswer?: string; timeoutMs?: number }): Promise<RunRecord>;
  /** Loads a child for the journey ahead of its run, as the scheduler does before a tick. */
  prepare(journey: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startHarness(
  options: { latency?: Partial<LatencyProfile>; stepTimeoutMs?: number; login?: 'form' | 'bypass'; keepWarm?: boolean | 'overlap' } = {},
): Promise<Harness> {
  const { sim, target, secrets } = await startSimulatorTarget(options);
  const runsDir = mkdtempSync(join(tmpdir(), 'gpmon-runs-'));
  const executor = new Executor({ projectRoot: PROJECT_ROOT, runsDir, keepWarm: options.keepWarm ?? 'overlap' });
  // The journey's own deadline (unless a run sets one) and the harness's step timeout: a prepared runner is the one its run takes.
  const settings = (journey: JourneyDefinition, timeoutMs?: number) => journeyRunSettings(journey, { timeoutMs, stepTimeoutMs: options.stepTimeoutMs ?? 4000 });
  return {
    sim,
    target,
    secrets,
    executor,
    runsDir,
    prepare: (name) => executor.prepare({ journey: journeyNamed(name), target, secrets, ...settings(journeyNamed(name)) }),
    run: (name, runOptions = {}) => {
      const journey = journeyNamed(name);
      return executor.run({
        journey,
        target,
        secrets,
        trigger: 'manual',
        inputs: { prompt: runOptions.prompt ?? 'What is the status of order 42?', expectedAnswer: runOptions.expectedAnswer ?? '^Golden path OK' },
        ...settings(journey, runOptions.timeoutMs),
      });
    },
    stop: async () => {
      await executor.close();
      await sim.stop();
      rmSync(runsDir, { recursive: true, force: true });
    },
  };
}

/**
 * A warmed simulator and the target (with its secrets) that points at it.
 * With `tls`, the simulator serves https/wss and the target trusts its CA
 * (`target.caFile`); it is not warmed (the contract client of the warm-up
 * speaks plain http), so it suits no timing test.
 */
export async function startSimulatorTarget(
  options: { latency?: Partial<LatencyProfile>; login?: 'form' | 'bypass'; tls?: boolean } = {},
): Promise<{ sim: Simulator; target: Target; secrets: TargetSecrets }> {
  const sim = await startSimulator({ ...(options.latency ? { latency: options.latency } : {}), ...(options.tls === true ? { tls: true } : {}) });
  const d = sim.description;
  const target = simulatorTarget(d, options.login ?? 'form');
  const secrets: TargetSecrets = { password: d.password, bypassKey: d.bypassKey };
  if (options.tls !== true) await warmSimulator(sim);
  return { sim, target, secrets };
}

/**
 * A staging service has served requests before the monitor's first one: its
 * first answers in a fresh process run cold code, time that no profile or
 * server-side clock accounts for. One login and one connection warm it.
 */
async function warmSimulator(sim: Simulator): Promise<void> {
  const tokens = await login(sim.description);
  const connection = await connectAs(sim.description, tokens);
  await connection.next((frame) => frame.type === 'connection_established');
  connection.ws.close();
  await connection.closed;
}

export { journeyNamed };

/** A one-line description of a record for assertion messages. */
export function describeRecord(record: RunRecord): string {
  return `${record.outcome} ${record.failure ? `${record.failure.step}/${record.failure.reason}: ${record.failure.message}` : ''} steps=${record.steps.map((s) => `${s.name}:${s.status}`).join(',')}`;
}
