import { resolve } from 'node:path';
import { findJourney, JOURNEYS, DEFAULT_INPUTS } from '../model/journeys.js';
import { targetFromEnv, type Target, type TargetSecrets } from '../model/target.js';
import type { RunInputs } from '../model/run-record.js';
import { Executor } from '../run/executor.js';
import { startSimulator, simulatorTarget } from '../simulator/simulator.js';
import { runOnce } from './run-once.js';
import { displayUrl, pushRun, type PushOptions } from '../metrics/push.js';
import { loadConfig } from '../config/load.js';
import type { MonitorConfig } from '../config/resolve.js';
import { UsageError, parseFlags, parsePositiveInt, type CliIo, type ExitCode } from './usage.js';
import { PROJECT_ROOT } from './project-root.js';

export const RUN_USAGE = `gpmon run <journey> [options]   run one journey now, print a live step table

  journeys: ${JOURNEYS.map((j) => j.name).join(', ')}
  --target NAME            a target of the config, env (design.md's GPMON_* variables) or simulator
                           (default: env when GPMON_APP_URL is set, else the simulator)
  --config FILE            the config to take a named target from, with the journey's configured timeouts,
                           prompt and expected answer (default ./monitor.config.ts)
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
  if (values.push !== undefined && !/^https?:\/\/[^\s/]+/.test(values.push)) throw new UsageError(`gpmon run: --push: "${displayUrl(values.push)}" is not an http(s) URL`);
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError(`gpmon run: name a journey (${JOURNEYS.map((j) => j.name).join(', ')})`);
  if (extra.length > 0) throw new UsageError(`gpmon run: unexpected argument "${extra[0] ?? ''}"`);
  const journey = findJourney(name);
  if (journey === undefined) throw new UsageError(`gpmon run: unknown journey "${name}"; known: ${JOURNEYS.map((j) => j.name).join(', ')}`);
  if (values.expect !== undefined) {
    try {
      new RegExp(values.expect);
    } catch (error) {
      throw new UsageError(`gpmon run: --expect: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const timeoutMs = parsePositiveInt('--timeout', values.timeout);
  // Empty is unset: a pod without a location label gets GPMON_LOCATION="" from its downward API.
  const location = (io.env.GPMON_LOCATION ?? '') === '' ? undefined : io.env.GPMON_LOCATION;
  if (location !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(location)) throw new UsageError(`gpmon run: GPMON_LOCATION: "${location}" must be 1-64 letters, digits, "_", "-" or "."`);
  const which = values.target ?? (io.env.GPMON_APP_URL ? 'env' : 'simulator');
  // The config, when something needs it: a named target, or a push (the journey's alerting settings and buckets).
  let config: MonitorConfig | undefined;
  if (values.push !== undefined || (which !== 'env' && which !== 'simulator')) {
    const loaded = await loadConfig(values.config, io.env);
    if (!loaded.ok) throw new UsageError(`gpmon run: the config has problems:\n  ${loaded.problems.join('\n  ')}`);
    config = loaded.config;
  }
  // A loaded config's journey settings are the run's defaults (its timeouts, prompt and expected answer), as the
  // daemon would run it; the command's flags win. The resolved config holds every journey of the catalogue.
  const fromConfig = config?.journeys.find((j) => j.definition.name === journey.name);
  if (config !== undefined && fromConfig === undefined) throw new UsageError(`gpmon run: journey "${journey.name}" is not in the resolved config`);
  let pushSettings: Omit<PushOptions, 'location'> | undefined;
  if (values.push !== undefined && config !== undefined && fromConfig !== undefined) {
    pushSettings = {
      buckets: config.buckets,
      steps: journey.steps,
      alerting: { sloMs: fromConfig.slo, pageAfterFailures: fromConfig.pageAfterFailures, intervalSeconds: fromConfig.intervalSeconds },
    };
  }
  let target: Target;
  let secrets: TargetSecrets;
  let stopSimulator: (() => Promise<void>) | undefined;
  if (which !== 'env' && which !== 'simulator') {
    const configured = config === undefined || config.targets === 'simulator' ? [] : config.targets;
    const found = configured.find((t) => t.target.name === which);
    if (found === undefined) throw new UsageError(`gpmon run: --target: unknown target "${which}"; known: ${[...configured.map((t) => t.target.name), 'env', 'simulator'].join(', ')}`);
    ({ target, secrets } = found);
  } else if (which === 'env') {
    const fromEnv = targetFromEnv(io.env);
    if (!fromEnv.ok) throw new UsageError(`gpmon run: --target env:\n  ${fromEnv.problems.join('\n  ')}`);
    ({ target, secrets } = fromEnv);
  } else {
    const sim = await startSimulator();
    const d = sim.description;
    target = simulatorTarget(d);
    secrets = { password: d.password, bypassKey: d.bypassKey };
    stopSimulator = sim.stop;
  }
  const inputs: RunInputs = {
    prompt: values.prompt ?? fromConfig?.inputs.prompt ?? DEFAULT_INPUTS.prompt,
    expectedAnswer: values.expect ?? fromConfig?.inputs.expectedAnswer ?? (which === 'simulator' ? SIMULATOR_EXPECTED_ANSWER : DEFAULT_INPUTS.expectedAnswer),
  };
  const runTimeoutMs = timeoutMs ?? fromConfig?.timeoutMs;
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
        ...(runTimeoutMs !== undefined ? { timeoutMs: runTimeoutMs } : {}),
        ...(fromConfig !== undefined ? { stepTimeoutMs: fromConfig.stepTimeoutMs } : {}),
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
