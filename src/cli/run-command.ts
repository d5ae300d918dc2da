import { Command } from 'commander';
import { DEFAULT_INPUTS, type RunInputs } from '../model/run-record.js';
import { didYouMean } from '../model/did-you-mean.js';
import { Executor } from '../run/executor.js';
import { cliTargetName, isConfigTarget, resolveCliTarget } from './cli-target.js';
import { runOnce, wasInterrupted } from './run-once.js';
import { displayUrl, pushRun, type PushOptions } from '../metrics/push.js';
import { loadConfig } from '../config/load.js';
import { monitorVersion, playwrightVersion } from './versions.js';
import type { ConfiguredJourney, MonitorConfig } from '../config/resolve.js';
import type { RunSink } from '../monitor/run-service.js';
import { checkPushUrl, pushLocation } from './push-flags.js';
import { UsageError, parsePositiveInt, type CliIo, type ExitCode } from './usage.js';
import { CliHistory, historyPlace, historySink, recordedLines } from './run-history.js';
import { PROJECT_ROOT } from '../catalog/shipped.js';

/** What `gpmon run` takes, as commander parses it (`--no-record` sets record false). */
export interface RunFlags {
  readonly target?: string;
  readonly config?: string;
  readonly prompt?: string;
  readonly expect?: string;
  readonly timeout?: string;
  readonly runsDir?: string;
  readonly json?: boolean;
  readonly push?: string;
  readonly record?: boolean;
}

const RUN_HELP = `
The target: a target of the config; env, the target the environment
describes (GPMON_APP_URL, GPMON_AUTH_URL, GPMON_API_URL, GPMON_WS_URL,
GPMON_LOGIN, GPMON_EMAIL, GPMON_PASSWORD or GPMON_BYPASS_KEY, GPMON_CA_FILE;
GPMON_TARGET names it); or simulator, a fresh embedded one. Default: env when
GPMON_APP_URL is set, else the simulator.

The run is recorded in the run history gpmon serve keeps (the config's
runs.database, its folder under runs.dir): gpmon show <id> and gpmon replay
<id> find it, and the console lists it. A history locked by a running daemon
is waited for briefly; if it stays locked, the run is not recorded (a warning
says so) and its exit code is unchanged.

On a terminal, the step that runs shows with a running timer; piped, the
table is plain lines.

Exit: 0 passed, 1 failed (the target), 2 error (the monitor) or bad usage,
      130 stopped by Ctrl-C (143 by SIGTERM): the run stops at once and is
      reported as interrupted.`;

/** `gpmon run`'s grammar and help; main.ts gives it its action. */
export function runSpec(): Command {
  return new Command('run')
    .description('run one journey now, with a live step table; the run is recorded in the run history')
    .argument('[journey]', "a journey's name (gpmon journeys lists them: journeys/, and the config's journeyDirs)")
    .option('--target <name>', 'a target of the config, env or simulator (see below)')
    .option('--config <file>', "the config (default ./monitor.config.ts, when there is one): its journeyDirs, its journeys' timeouts and params, its run history, and for a named target or --push, its prompt and expected answer")
    .option('--prompt <text>', 'the request sent to the agent')
    .option('--expect <regex>', 'the pattern the answer must match')
    .option('--timeout <ms>', "the journey's deadline, in ms")
    .option('--runs-dir <dir>', "where the run's folder and its history (<dir>/gpmon.db) go instead of the config's runs.dir and runs.database (default GPMON_RUNS_DIR, when set)")
    .option('--json', 'print the run record as JSON instead of the table')
    .option('--push <url>', "push the run's metrics to a Prometheus Pushgateway (job = the journey; grouped by target, and by location when GPMON_LOCATION is set)")
    .option('--no-record', 'do not record the run in the run history (its folder is still written)')
    .addHelpText('after', RUN_HELP);
}

/** The help of `gpmon run` as text: its options and what follows them. */
export const RUN_USAGE = `${runSpec().helpInformation()}${RUN_HELP}`;

export const SIMULATOR_EXPECTED_ANSWER = '^Golden path OK';

/**
 * `gpmon run <journey>`: one run now against the chosen target, the live
 * step table (or --json), recorded in the run history unless --no-record,
 * pushed with --push. Bad input is a UsageError (exit 2).
 */
export async function runCommand(name: string | undefined, flags: RunFlags, io: CliIo): Promise<ExitCode> {
  checkPushUrl('run', flags.push);
  if (flags.expect !== undefined) {
    try {
      new RegExp(flags.expect);
    } catch (error) {
      throw new UsageError(`gpmon run: --expect: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const timeoutMs = parsePositiveInt('--timeout', flags.timeout);
  const location = pushLocation('run', io.env);
  const which = cliTargetName(flags.target, io.env);
  // The journeys are the files discovery finds (journeys/ and the config's journeyDirs): the config is always read.
  const loaded = await loadConfig(flags.config, io.env);
  if (!loaded.ok) throw new UsageError(`gpmon run: the config or a journey file has problems:\n  ${loaded.problems.join('\n  ')}`);
  const config: MonitorConfig = loaded.config;
  const known = config.journeys.map((j) => j.definition.name);
  if (name === undefined) throw new UsageError(`gpmon run: name a journey (${known.join(', ')})`);
  const configuredJourney = config.journeys.find((j) => j.definition.name === name);
  if (configuredJourney === undefined) throw new UsageError(`gpmon run: unknown journey "${name}"${didYouMean(name, known)}; known: ${known.join(', ')}`);
  const journey = configuredJourney.definition;
  // With a named target or a push, the config's settings for the journey are the run's defaults (its prompt and expected
  // answer too), as the daemon would run it; against the simulator or the environment's target, its run settings only
  // (timeouts and artifact policy: the file's own, or the config's). The command's flags win.
  const fromConfig = flags.push !== undefined || isConfigTarget(which) ? configuredJourney : undefined;
  let pushSettings: Omit<PushOptions, 'location'> | undefined;
  if (flags.push !== undefined && fromConfig !== undefined) {
    pushSettings = {
      buckets: config.buckets,
      steps: journey.steps,
      versions: { monitor: monitorVersion(), playwright: playwrightVersion() },
      alerting: { sloMs: fromConfig.slo, pageAfterFailures: fromConfig.pageAfterFailures, intervalSeconds: fromConfig.intervalSeconds },
    };
  }
  const place = historyPlace(config, flags.runsDir, io.env);
  const { target, secrets, stop: stopSimulator, note } = await resolveCliTarget('run', which, config, io.env);
  if (note !== undefined) io.err(note);
  const inputs: RunInputs = {
    prompt: flags.prompt ?? fromConfig?.inputs.prompt ?? DEFAULT_INPUTS.prompt,
    expectedAnswer: flags.expect ?? fromConfig?.inputs.expectedAnswer ?? (which === 'simulator' ? SIMULATOR_EXPECTED_ANSWER : DEFAULT_INPUTS.expectedAnswer),
    // The journey's own settings (its file's params, as the config changes them) hold wherever it runs, as its timeouts do.
    ...(configuredJourney.inputs.params === undefined ? {} : { params: configuredJourney.inputs.params }),
  };
  const runTimeoutMs = timeoutMs ?? configuredJourney.timeoutMs;
  // --timeout is applied here, to the journey's settings, never by the executor: the step timeout is never longer than the run's deadline.
  const journeyToRun: ConfiguredJourney = { ...configuredJourney, timeoutMs: runTimeoutMs, stepTimeoutMs: Math.min(configuredJourney.stepTimeoutMs, runTimeoutMs) };
  const history = flags.record !== false ? CliHistory.open(place, 'run', io).history : undefined;
  const executor = new Executor({ projectRoot: PROJECT_ROOT, runsDir: place.runsDir });
  const json = flags.json === true;
  const pushed = { failed: false };
  const sinks: RunSink[] = [];
  // Stored as in flight first, as the daemon stores its runs: a run cut short by a crash is closed as error at the next start.
  if (history !== undefined) {
    sinks.push(historySink(history, (record, recorded) => {
      if (!json) for (const line of recordedLines(record.id, place, recorded, flags.config)) io.out(line);
    }));
  }
  const pushTo = flags.push;
  if (pushTo !== undefined && pushSettings !== undefined) {
    const settings = pushSettings;
    sinks.push({
      name: 'push',
      runFinished: async (record) => {
        // An interrupted run is not pushed: it says nothing about the target.
        if (wasInterrupted(record)) return;
        const result = await pushRun(pushTo, record, { ...settings, ...(location !== undefined ? { location } : {}) });
        if (!result.ok) {
          io.err(`gpmon run: --push ${displayUrl(pushTo)}: ${result.error}`);
          pushed.failed = true;
          return;
        }
        if (result.warning !== undefined) io.err(`gpmon run: --push ${displayUrl(pushTo)}: ${result.warning}`);
        io.err(`pushed to ${displayUrl(pushTo)} (job ${record.journey}, target ${record.target}${location !== undefined ? `, location ${location}` : ''})`);
      },
    });
  }
  try {
    const run = await runOnce({ executor, journey: journeyToRun, target: { target, secrets }, trigger: 'manual', inputs, sinks }, io, { json, runsDir: place.runsDir });
    if (run.interrupted) return run.exitCode;
    return pushed.failed ? 2 : run.exitCode;
  } finally {
    history?.close();
    await executor.close();
    await stopSimulator?.();
  }
}
