import { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { MonitorConfig } from '../config/resolve.js';
import type { RunRecord } from '../model/run-record.js';
import { targetFromEnv } from '../model/target.js';
import { Executor } from '../run/executor.js';
import { PROJECT_ROOT } from '../catalog/shipped.js';
import { CLI_SIMULATOR_TARGET, resolveCliTarget, type CliTarget } from './cli-target.js';
import { runOnce } from './run-once.js';
import { CliHistory, historyPlace, historySink, recordedLines } from './run-history.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';

/** What `gpmon replay` takes, as commander parses it. */
export interface ReplayFlags {
  readonly config?: string;
  readonly json?: boolean;
  readonly runsDir?: string;
}

const REPLAY_HELP = `
The stored run's target is used again: a target of the config; the
environment's target (the same GPMON_APP_URL, GPMON_TARGET... variables set,
as for gpmon run --target env); or, for a run against the embedded simulator,
a fresh one. The new run is recorded in the same history, with trigger=replay
and the stored run's id as replayOf.

Exit: 0 passed, 1 failed (the target), 2 error (the monitor) or bad usage,
      130 stopped by Ctrl-C (143 by SIGTERM).`;

/** `gpmon replay`'s grammar and help; main.ts gives it its action. */
export function replaySpec(): Command {
  return new Command('replay')
    .description("run a stored run again: its journey, against its target, with its inputs")
    .argument('[run-id]', 'the run to replay (gpmon runs lists them; gpmon run prints its own)')
    .option('--config <file>', 'the config (default ./monitor.config.ts): its journeys, targets and run history (runs.database)')
    .option('--runs-dir <dir>', 'read and record in the history of this folder (<dir>/gpmon.db), as gpmon run --runs-dir wrote it (default GPMON_RUNS_DIR, when set)')
    .option('--json', 'print the new run record as JSON instead of the table')
    .addHelpText('after', REPLAY_HELP);
}

/** `gpmon replay <run-id>`: the stored run's journey again, same target, same inputs, recorded as trigger=replay. */
export async function replayCommand(id: string | undefined, flags: ReplayFlags, io: CliIo): Promise<ExitCode> {
  if (id === undefined) throw new UsageError('gpmon replay: name one run id');
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new UsageError(`gpmon replay: "${id}" is not a run id`);
  const loaded = await loadConfig(flags.config, io.env);
  if (!loaded.ok) throw new UsageError(`gpmon replay: the config or a journey file has problems:\n  ${loaded.problems.join('\n  ')}`);
  const config = loaded.config;
  const place = historyPlace(config, flags.runsDir, io.env);
  const opened = CliHistory.open(place, 'replay', io, true);
  if (!opened.ok) throw new UsageError(opened.error);
  const history = opened.history;
  let cli: CliTarget | undefined;
  const executor = new Executor({ projectRoot: PROJECT_ROOT, runsDir: place.runsDir });
  try {
    const original = history.get(id);
    if (original === undefined) throw new UsageError(`gpmon replay: no finished run ${id} in ${place.database}`);
    // The journey as its file declares it now, with its configured timeouts, as the daemon runs it (the inputs are the stored run's own).
    const configured = config.journeys.find((j) => j.definition.name === original.journey);
    if (configured === undefined) {
      throw new UsageError(`gpmon replay: run ${id} is of journey "${original.journey}", which no journey file declares now; known: ${config.journeys.map((j) => j.definition.name).join(', ')}`);
    }
    cli = await replayTarget(id, original, config, io.env);
    if (cli.note !== undefined) io.err(cli.note);
    const json = flags.json === true;
    const recorded = historySink(history, (record, stored) => {
      if (!json) for (const line of recordedLines(record.id, place, stored, flags.config)) io.out(line);
    });
    // The new run is stored as in flight first (the history sink), and recorded with trigger=replay and replayOf.
    const { exitCode } = await runOnce(
      { executor, journey: configured, target: { target: cli.target, secrets: cli.secrets }, trigger: 'replay', replayOf: id, inputs: original.inputs, sinks: [recorded] },
      io,
      { json, runsDir: place.runsDir },
    );
    return exitCode;
  } finally {
    await executor.close();
    await cli?.stop?.();
    history.close();
  }
}

/**
 * The target a stored run ran against, as it is now: the config's target of
 * that name; else the environment's (GPMON_APP_URL...), when it has that
 * name; else, for a run against the embedded simulator (whose simulator is
 * gone), a fresh one. A UsageError when none of them is there.
 */
async function replayTarget(id: string, original: RunRecord, config: MonitorConfig, env: NodeJS.ProcessEnv): Promise<CliTarget> {
  const configured = config.targets === 'simulator' ? undefined : config.targets.find((t) => t.target.name === original.target);
  if (configured !== undefined) return { target: configured.target, secrets: configured.secrets };
  const envName = env.GPMON_TARGET ?? 'env';
  if ((env.GPMON_APP_URL ?? '') !== '' && envName === original.target) {
    const fromEnv = targetFromEnv(env);
    if (!fromEnv.ok) throw new UsageError(`gpmon replay: run ${id} was against the environment's target "${original.target}", which the environment describes with problems:\n  ${fromEnv.problems.join('\n  ')}`);
    return { target: fromEnv.target, secrets: fromEnv.secrets };
  }
  // The daemon's embedded simulator or a command's own: either is gone; a fresh one stands in (and says so).
  if (original.target === 'simulator' || original.target === CLI_SIMULATOR_TARGET) return resolveCliTarget('replay', 'simulator', config, env);
  const names = config.targets === 'simulator' ? [] : config.targets.map((t) => t.target.name);
  throw new UsageError(
    `gpmon replay: run ${id} was against target "${original.target}", which neither the config (${names.length === 0 ? 'no targets' : names.join(', ')}) nor the environment (${(env.GPMON_APP_URL ?? '') === '' ? 'GPMON_APP_URL is not set' : `its target is "${envName}"`}) has now; a run against the environment's target replays with the same GPMON_* variables set`,
  );
}
