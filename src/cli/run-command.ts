import { resolve } from 'node:path';
import { DEFAULT_INPUTS, type RunInputs } from '../model/run-record.js';
import { didYouMean } from '../model/did-you-mean.js';
import { Executor } from '../run/executor.js';
import { cliTargetName, isConfigTarget, resolveCliTarget } from './cli-target.js';
import { runOnce } from './run-once.js';
import { displayUrl, pushRun, type PushOptions } from '../metrics/push.js';
import { loadConfig } from '../config/load.js';
import { monitorVersion, playwrightVersion } from './versions.js';
import type { MonitorConfig } from '../config/resolve.js';
import { checkPushUrl, pushLocation } from './push-flags.js';
import { UsageError, parseFlags, parsePositiveInt, type CliIo, type ExitCode } from './usage.js';
import { PROJECT_ROOT } from '../catalog/shipped.js';

export const RUN_USAGE = `gpmon run <journey> [options]   run one journey now, print a live step table

  journey: a journey file's name (gpmon journeys lists them: journeys/, and the config's journeyDirs)
  --target NAME            a target of the config, env (GPMON_APP_URL, GPMON_AUTH_URL, GPMON_API_URL, GPMON_WS_URL,
                           GPMON_LOGIN, GPMON_EMAIL, GPMON_PASSWORD or GPMON_BYPASS_KEY, GPMON_CA_FILE) or simulator
                           (default: env when GPMON_APP_URL is set, else the simulator)
  --config FILE            the config (default ./monitor.config.ts, when there is one): its journeyDirs, its
                           journeys' timeouts and params, and for a named target or --push, its prompt and expected answer
  --prompt TEXT            the request sent to the agent
  --expect REGEX           the pattern the answer must match
  --timeout MS             the journey's deadline
  --runs-dir DIR           where run folders go (default ./runs, or GPMON_RUNS_DIR)
  --json                   print the run record as JSON instead of the table
  --push URL               push the run's metrics to a Prometheus Pushgateway (job = the journey;
                           grouped by target, and by location when GPMON_LOCATION is set)
  exit: 0 passed, 1 failed (the target), 2 error (the monitor) or bad usage,
        130 stopped by Ctrl-C (143 by SIGTERM): the run stops at once and is reported as interrupted`;


export const SIMULATOR_EXPECTED_ANSWER = '^Golden path OK';

export async function runCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags('run', args, {
    target: { type: 'string' },
    config: { type: 'string' },
    prompt: { type: 'string' },
    expect: { type: 'string' },
    timeout: { type: 'string' },
    'runs-dir': { type: 'string' },
    json: { type: 'boolean' },
    push: { type: 'string' },
  });
  checkPushUrl('run', values.push);
  const [name, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`gpmon run: unexpected argument "${extra[0] ?? ''}"`);
  if (values.expect !== undefined) {
    try {
      new RegExp(values.expect);
    } catch (error) {
      throw new UsageError(`gpmon run: --expect: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const timeoutMs = parsePositiveInt('--timeout', values.timeout);
  const location = pushLocation('run', io.env);
  const which = cliTargetName(values.target, io.env);
  // The journeys are the files discovery finds (journeys/ and the config's journeyDirs): the config is always read.
  const loaded = await loadConfig(values.config, io.env);
  if (!loaded.ok) throw new UsageError(`gpmon run: the config or a journey file has problems:\n  ${loaded.problems.join('\n  ')}`);
  const config: MonitorConfig = loaded.config;
  const known = config.journeys.map((j) => j.definition.name);
  if (name === undefined) throw new UsageError(`gpmon run: name a journey (${known.join(', ')})`);
  const configuredJourney = config.journeys.find((j) => j.definition.name === name);
  if (configuredJourney === undefined) throw new UsageError(`gpmon run: unknown journey "${name}"${didYouMean(name, known)}; known: ${known.join(', ')}`);
  const journey = configuredJourney.definition;
  // With a named target or a push, the config's settings for the journey are the run's defaults (its prompt and expected
  // answer too), as the daemon would run it; against the simulator or the environment's target, its timeouts only
  // (the file's own, or the config's). The command's flags win.
  const fromConfig = values.push !== undefined || isConfigTarget(which) ? configuredJourney : undefined;
  let pushSettings: Omit<PushOptions, 'location'> | undefined;
  if (values.push !== undefined && fromConfig !== undefined) {
    pushSettings = {
      buckets: config.buckets,
      steps: journey.steps,
      versions: { monitor: monitorVersion(), playwright: playwrightVersion() },
      alerting: { sloMs: fromConfig.slo, pageAfterFailures: fromConfig.pageAfterFailures, intervalSeconds: fromConfig.intervalSeconds },
    };
  }
  const { target, secrets, stop: stopSimulator } = await resolveCliTarget('run', which, config, io.env);
  const inputs: RunInputs = {
    prompt: values.prompt ?? fromConfig?.inputs.prompt ?? DEFAULT_INPUTS.prompt,
    expectedAnswer: values.expect ?? fromConfig?.inputs.expectedAnswer ?? (which === 'simulator' ? SIMULATOR_EXPECTED_ANSWER : DEFAULT_INPUTS.expectedAnswer),
    // The journey's own settings (its file's params, as the config changes them) hold wherever it runs, as its timeouts do.
    ...(configuredJourney.inputs.params === undefined ? {} : { params: configuredJourney.inputs.params }),
  };
  const runTimeoutMs = timeoutMs ?? configuredJourney.timeoutMs;
  const runsDir = resolve(values['runs-dir'] ?? io.env.GPMON_RUNS_DIR ?? 'runs');
  const executor = new Executor({ projectRoot: PROJECT_ROOT, runsDir });
  try {
    const { record, interrupted, exitCode } = await runOnce(
      executor,
      {
        journey,
        target,
        secrets,
        trigger: 'manual',
        inputs,
        timeoutMs: runTimeoutMs,
        // Never longer than the run's own deadline (--timeout may cut it).
        stepTimeoutMs: Math.min(configuredJourney.stepTimeoutMs, runTimeoutMs),
      },
      io,
      { json: values.json === true, runsDir },
    );
    // An interrupted run is not pushed: it says nothing about the target.
    if (interrupted) return exitCode;
    if (values.push !== undefined && pushSettings !== undefined) {
      const pushed = await pushRun(values.push, record, { ...pushSettings, ...(location !== undefined ? { location } : {}) });
      if (!pushed.ok) {
        io.err(`gpmon run: --push ${displayUrl(values.push)}: ${pushed.error}`);
        return 2;
      }
      if (pushed.warning !== undefined) io.err(`gpmon run: --push ${displayUrl(values.push)}: ${pushed.warning}`);
      io.err(`pushed to ${displayUrl(values.push)} (job ${record.journey}, target ${record.target}${location !== undefined ? `, location ${location}` : ''})`);
    }
    return exitCode;
  } finally {
    await executor.close();
    await stopSimulator?.();
  }
}
