import { targetFromEnv, type Target, type TargetSecrets } from '../model/target.js';
import { startSimulator, simulatorTarget } from '../simulator/simulator.js';
import type { MonitorConfig } from '../config/resolve.js';
import { UsageError } from './usage.js';

/** The target a command runs against, and, for an embedded simulator, how to stop it. */
export interface CliTarget {
  readonly target: Target;
  readonly secrets: TargetSecrets;
  readonly stop?: () => Promise<void>;
  /** What the operator should know about this target before the run (a fresh simulator is not the daemon's): for stderr. */
  readonly note?: string;
}

/** `--target` as given, or its default: the environment's target when GPMON_APP_URL is set, else the embedded simulator. */
export function cliTargetName(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? (env.GPMON_APP_URL ? 'env' : 'simulator');
}

/** Whether `which` names a target of the config (neither `env` nor `simulator`). */
export function isConfigTarget(which: string): boolean {
  return which !== 'env' && which !== 'simulator';
}

/**
 * The target name of a command's own fresh simulator. Not `simulator`, the
 * name of the one `gpmon serve` watches: a run against a throwaway simulator
 * recorded under that name would stand in the daemon's history (its console
 * state, its streak, its deployed revision) as a verdict on a simulator it never
 * touched, such as a pass in the middle of a fault injected into the daemon's.
 */
export const CLI_SIMULATOR_TARGET = 'cli-simulator';

/**
 * The target `which` names, for `gpmon <command>`: one of the config's, `env`
 * (the README's GPMON_* variables, every problem named at once) or
 * `simulator` (a fresh embedded one; the caller stops it with `stop`).
 */
export async function resolveCliTarget(command: string, which: string, config: MonitorConfig, env: NodeJS.ProcessEnv): Promise<CliTarget> {
  if (isConfigTarget(which)) {
    const configured = config.targets === 'simulator' ? [] : config.targets;
    const found = configured.find((t) => t.target.name === which);
    if (found === undefined) throw new UsageError(`gpmon ${command}: --target: unknown target "${which}"; known: ${[...new Set([...configured.map((t) => t.target.name), 'env', 'simulator'])].join(', ')}`);
    return { target: found.target, secrets: found.secrets };
  }
  if (which === 'env') {
    const fromEnv = targetFromEnv(env);
    if (!fromEnv.ok) throw new UsageError(`gpmon ${command}: --target env:\n  ${fromEnv.problems.join('\n  ')}`);
    return { target: fromEnv.target, secrets: fromEnv.secrets };
  }
  const sim = await startSimulator();
  const d = sim.description;
  return {
    target: { ...simulatorTarget(d), name: CLI_SIMULATOR_TARGET },
    secrets: { password: d.password, bypassKey: d.bypassKey },
    stop: sim.stop,
    note: `gpmon ${command}: against a fresh embedded simulator of this command's own (not the one a gpmon serve watches, nor its faults): recorded as target ${CLI_SIMULATOR_TARGET}`,
  };
}
