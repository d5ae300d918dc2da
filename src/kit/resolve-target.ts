import { CHILD_ENV } from '../protocol/child.js';
import { targetFromEnv, targetSchema, withDefaults, type Target, type TargetSecrets } from '../model/target.js';
import { startSimulator, simulatorTarget } from '../simulator/simulator.js';

export interface ResolvedTarget {
  readonly target: Target;
  readonly secrets: TargetSecrets;
  readonly stop?: () => Promise<void>;
}

export class TargetConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`target configuration: ${problems.join('; ')}`);
    this.name = 'TargetConfigError';
  }
}

/**
 * Which target a journey checks: the one the executor handed over, else one
 * named by the environment (GPMON_APP_URL and friends), else an embedded
 * staging simulator started for this run (a journey run by hand just works).
 */
export async function resolveTarget(env: NodeJS.ProcessEnv): Promise<ResolvedTarget> {
  const secrets: TargetSecrets = {
    ...(env[CHILD_ENV.password] ? { password: env[CHILD_ENV.password] } : {}),
    ...(env[CHILD_ENV.bypassKey] ? { bypassKey: env[CHILD_ENV.bypassKey] } : {}),
  };
  const handed = env[CHILD_ENV.target];
  if (handed !== undefined && handed !== '') {
    const parsed = targetSchema.safeParse(JSON.parse(handed));
    if (!parsed.success) throw new TargetConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    return { target: withDefaults(parsed.data), secrets };
  }
  if (env.GPMON_APP_URL !== undefined && env.GPMON_APP_URL !== '') {
    const fromEnv = targetFromEnv(env);
    if (!fromEnv.ok) throw new TargetConfigError(fromEnv.problems);
    return { target: fromEnv.target, secrets: fromEnv.secrets };
  }
  const sim = await startSimulator();
  const d = sim.description;
  return {
    target: simulatorTarget(d),
    secrets: { password: d.password, bypassKey: d.bypassKey },
    stop: sim.stop,
  };
}
