import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { RunStore } from '../store/run-store.js';
import { Executor } from '../run/executor.js';
import { type Target, type TargetSecrets } from '../model/target.js';
import { startSimulator, simulatorTarget } from '../simulator/simulator.js';
import { runOnce } from './run-once.js';
import { UsageError, parseFlags, type CliIo, type ExitCode } from './usage.js';
import { PROJECT_ROOT } from '../catalog/shipped.js';

export const REPLAY_USAGE = `gpmon replay <run-id> [--config FILE] [--json]   run a stored run's journey again: same target, same inputs
  reads the run history of the config (runs.database); the new run is stored with trigger=replay`;


export async function replayCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags('replay', args, { config: { type: 'string' }, json: { type: 'boolean' } });
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0) throw new UsageError('gpmon replay: name one run id');
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new UsageError(`gpmon replay: "${id}" is not a run id`);
  const loaded = await loadConfig(values.config, io.env);
  if (!loaded.ok) throw new UsageError(`gpmon replay: the config or a journey file has problems:\n  ${loaded.problems.join('\n  ')}`);
  const config = loaded.config;
  const runsDir = resolve(config.runs.dir);
  const store = RunStore.open(resolve(config.runs.database), runsDir);
  let stopSimulator: (() => Promise<void>) | undefined;
  const executor = new Executor({ projectRoot: PROJECT_ROOT, runsDir });
  try {
    const original = store.get(id);
    if (original === undefined) throw new UsageError(`gpmon replay: no finished run ${id} in ${config.runs.database}`);
    // The journey as its file declares it now, with its configured timeouts, as the daemon runs it (the inputs are the stored run's own).
    const configured = config.journeys.find((j) => j.definition.name === original.journey);
    if (configured === undefined) {
      throw new UsageError(`gpmon replay: run ${id} is of journey "${original.journey}", which no journey file declares now; known: ${config.journeys.map((j) => j.definition.name).join(', ')}`);
    }
    const journey = configured.definition;
    let target: Target;
    let secrets: TargetSecrets;
    if (config.targets === 'simulator' && original.target === 'simulator') {
      // The simulator of the original run is gone: a fresh one stands in for it.
      const sim = await startSimulator();
      const d = sim.description;
      target = simulatorTarget(d);
      secrets = { password: d.password, bypassKey: d.bypassKey };
      stopSimulator = sim.stop;
    } else {
      const found = config.targets === 'simulator' ? undefined : config.targets.find((t) => t.target.name === original.target);
      if (found === undefined) throw new UsageError(`gpmon replay: run ${id} was against target "${original.target}", which the config does not have`);
      ({ target, secrets } = found);
    }
    const timeoutMs = configured.timeoutMs;
    const newId = randomUUID();
    // Stored as in flight first: a replay cut short by a crash is closed as error at the next start.
    store.runStarted({ id: newId, journey: journey.name, target: target.name, trigger: 'replay', replayOf: id, startedAt: new Date().toISOString(), inputs: original.inputs, steps: journey.steps });
    const { record, exitCode } = await runOnce(
      executor,
      { id: newId, journey, target, secrets, trigger: 'replay', replayOf: id, inputs: original.inputs, timeoutMs, stepTimeoutMs: configured.stepTimeoutMs },
      io,
      { json: values.json === true, runsDir },
    );
    store.runFinished(record);
    return exitCode;
  } finally {
    await executor.close();
    await stopSimulator?.();
    store.close();
  }
}
