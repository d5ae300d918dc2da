import { createTask } from 'node-cron';
import { resolve } from 'node:path';
import { DEFAULT_STEP_SLO_MS, defaultStepTimeoutMs, paramDefault, paramProblem, type JourneyDefinition, type JourneyParamValue } from '../model/journey.js';
import { caFileProblem, targetFromEnv, withDefaults, type Target, type TargetSecrets } from '../model/target.js';
import { DEFAULT_INPUTS, type RunInputs } from '../model/run-record.js';
import { describeIssues } from '../model/zod-issues.js';
import { didYouMean } from '../model/did-you-mean.js';
import { DEFAULT_RUNNER_RSS_MB, DEFAULT_RUNNER_RUNS } from '../model/runner.js';
import { DEFAULT_ARTIFACT_POLICY, type RunSettings } from '../model/run-settings.js';
import { monitorConfigSchema } from './schema.js';
import { parsePublicUrl } from './public-url.js';

export interface ConfiguredTarget {
  readonly target: Target;
  readonly secrets: TargetSecrets;
}

/**
 * A journey as the config runs it: its file's declaration, and every setting
 * resolved (the config's over the file's over the defaults). Its run settings
 * (`timeoutMs`, `stepTimeoutMs`, `artifacts`) are what each of its runs asks
 * the executor for, whole.
 */
export interface ConfiguredJourney extends RunSettings {
  readonly definition: JourneyDefinition;
  readonly enabled: boolean;
  readonly schedule: string;
  /** Step name → latency objective in ms. */
  readonly slo: Readonly<Record<string, number>>;
  readonly inputs: RunInputs;
  readonly targets: readonly string[];
  /** Failed runs in a row before the golden path is down. */
  readonly pageAfterFailures: number;
  /** The longest gap expected between two finished runs (the schedule's, or the timeout when longer): what "stale" is measured in. */
  readonly intervalSeconds: number;
}

export interface MonitorConfig {
  /** `simulator`: no target configured; the monitor starts the embedded simulator and watches it. */
  readonly targets: readonly ConfiguredTarget[] | 'simulator';
  readonly journeys: readonly ConfiguredJourney[];
  readonly buckets: { readonly step: readonly number[]; readonly event: readonly number[]; readonly journey: readonly number[] };
  readonly retention: { readonly maxAgeDays: number; readonly maxRuns: number; readonly failedMaxAgeDays: number; readonly failedMaxRuns: number };
  readonly server: {
    readonly host: string;
    readonly port: number;
    /** Where people reach this gpmon (no trailing slash), when set: the base of the console links in alerts and on the dashboard. */
    readonly externalUrl?: string;
    /** The runbook's base URL (anchors: alert names lower-cased): as set, else `<externalUrl>/runbook`, else none. */
    readonly runbookUrl?: string;
  };
  readonly runs: { readonly dir: string; readonly database: string; readonly concurrency: number; readonly jitterMs: number; readonly prewarm: boolean; readonly runnerRuns: number; readonly runnerRssMb: number; readonly passEnv: readonly string[] };
}

export const DEFAULT_STEP_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const DEFAULT_EVENT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const DEFAULT_JOURNEY_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120];
export const DEFAULT_PORT = 9595;
const DEFAULT_PAGE_AFTER_FAILURES = 3;

export type ConfigResult = { ok: true; config: MonitorConfig } | { ok: false; problems: string[] };

/**
 * Validates a config (the default export of monitor.config.ts, or nothing)
 * against the schema and against itself and the journeys discovered
 * (`catalog`: each journey's file gives its defaults), reads the secrets it
 * names from the environment, and fills in the defaults. Every problem is
 * named by its path. A path in the config (a target's `caFile`) is relative
 * to `baseDir`, the config file's folder (default: the working directory).
 */
export function resolveConfig(raw: unknown, env: NodeJS.ProcessEnv, catalog: readonly JourneyDefinition[], baseDir: string = process.cwd()): ConfigResult {
  // Nothing given is the defaults; anything given must be a config (null is refused, never read as "no config").
  const parsed = monitorConfigSchema.safeParse(raw === undefined ? {} : raw);
  if (!parsed.success) return { ok: false, problems: describeIssues(parsed.error, raw, '(config)') };
  const input = parsed.data;
  const problems: string[] = [];

  let targets: ConfiguredTarget[] | 'simulator';
  const configured = input.targets ?? [];
  if (configured.length > 0) {
    targets = [];
    const seen = new Set<string>();
    for (const t of configured) {
      const where = `targets.${t.name}`;
      if (seen.has(t.name)) problems.push(`${where}: the name is used twice`);
      seen.add(t.name);
      const secrets: { password?: string; bypassKey?: string } = {};
      const need = t.login === 'form' ? (['passwordEnv', 'password'] as const) : (['bypassKeyEnv', 'bypassKey'] as const);
      const variable = t[need[0]];
      if (variable === undefined) problems.push(`${where}.${need[0]}: required for ${t.login} login (the environment variable that holds the secret)`);
      else if ((env[variable] ?? '') === '') problems.push(`${where}.${need[0]}: environment variable ${variable} is not set`);
      else secrets[need[1]] = env[variable];
      const other = t.login === 'form' ? t.bypassKeyEnv : t.passwordEnv;
      if (other !== undefined && (env[other] ?? '') !== '') secrets[t.login === 'form' ? 'bypassKey' : 'password'] = env[other];
      const { passwordEnv: _p, bypassKeyEnv: _b, ...shape } = t;
      if (shape.caFile !== undefined) {
        shape.caFile = resolve(baseDir, shape.caFile);
        const problem = caFileProblem(shape.caFile);
        if (problem !== undefined) problems.push(`${where}.caFile: ${problem}`);
      }
      targets.push({ target: withDefaults(shape), secrets });
    }
  } else if ((env.GPMON_APP_URL ?? '') !== '') {
    const fromEnv = targetFromEnv(env);
    if (fromEnv.ok) targets = [{ target: fromEnv.target, secrets: fromEnv.secrets }];
    else {
      targets = 'simulator';
      problems.push(...fromEnv.problems.map((p) => `environment target: ${p}`));
    }
  } else {
    targets = 'simulator';
  }
  const targetNames = targets === 'simulator' ? ['simulator'] : targets.map((t) => t.target.name);
  // runs.passEnv widens what journeys inherit; it can never hand them a secret the executor keeps from them.
  const secretVariables = new Set(configured.flatMap((t) => [t.passwordEnv, t.bypassKeyEnv]).filter((name): name is string => name !== undefined));
  for (const name of input.runs?.passEnv ?? []) {
    if (name.startsWith('GPMON_')) problems.push(`runs.passEnv: ${name}: gpmon's own variables (the API token, the environment target's secrets) are never passed to journeys`);
    else if (secretVariables.has(name)) problems.push(`runs.passEnv: ${name} holds a target's secret; each journey gets its own target's secret, and only that`);
  }
  // A warm runner is a loaded process kept for the next run: without prewarm there is none, and the setting would do nothing.
  if (input.runs?.prewarm === false && input.runs.runnerRuns !== undefined && input.runs.runnerRuns > 1) {
    problems.push('runs.runnerRuns: has no effect with runs.prewarm false (each run starts a process of its own); drop one of them');
  }

  const known = catalog.map((definition) => definition.name);
  for (const name of Object.keys(input.journeys ?? {})) {
    if (!known.includes(name)) problems.push(`journeys.${name}: no journey file declares "${name}"${didYouMean(name, known)}; known: ${known.join(', ') || 'none'}`);
  }
  const journeys: ConfiguredJourney[] = [];
  for (const definition of catalog) {
    const j = input.journeys?.[definition.name] ?? {};
    const where = `journeys.${definition.name}`;
    const slo = { ...Object.fromEntries(definition.steps.map((step) => [step, definition.slo?.[step] ?? DEFAULT_STEP_SLO_MS])), ...j.slo };
    for (const step of Object.keys(j.slo ?? {})) {
      if (!definition.steps.includes(step)) problems.push(`${where}.slo.${step}: not a step of ${definition.name} (${definition.steps.join(', ')})`);
    }
    for (const name of j.targets ?? []) {
      if (!targetNames.includes(name)) problems.push(`${where}.targets: unknown target "${name}"; known: ${targetNames.join(', ')}`);
    }
    const params = resolveParams(definition, j.params, where, problems);
    const settings = journeyRunSettings(definition, { timeoutMs: j.timeoutMs, stepTimeoutMs: j.stepTimeoutMs, traceScreenshots: input.runs?.traceScreenshots });
    const { timeoutMs, stepTimeoutMs } = settings;
    if (stepTimeoutMs > timeoutMs) problems.push(`${where}.stepTimeoutMs: ${stepTimeoutMs} is longer than timeoutMs ${timeoutMs}`);
    journeys.push({
      definition,
      enabled: j.enabled ?? true,
      schedule: j.schedule ?? definition.schedule,
      ...settings,
      slo,
      inputs: {
        prompt: j.prompt ?? DEFAULT_INPUTS.prompt,
        expectedAnswer: j.expectedAnswer ?? (targets === 'simulator' ? '^Golden path OK' : DEFAULT_INPUTS.expectedAnswer),
        ...(params === undefined ? {} : { params }),
      },
      targets: j.targets ?? targetNames,
      pageAfterFailures: j.pageAfterFailures ?? DEFAULT_PAGE_AFTER_FAILURES,
      // A run that hangs to its deadline makes the scheduler skip ticks: the gap between two finished runs can reach the timeout.
      intervalSeconds: Math.max(scheduleIntervalSeconds(j.schedule ?? definition.schedule), timeoutMs / 1000),
    });
  }

  // The SLO thresholds are bucket bounds, so "over the SLO" is exact in PromQL (no interpolation).
  const sloSeconds = journeys.flatMap((j) => Object.values(j.slo).map((ms) => ms / 1000));
  const withSlo = (bounds: readonly number[]) => [...new Set([...bounds, ...sloSeconds])].sort((a, b) => a - b);
  const runsDir = input.runs?.dir ?? 'runs';
  const links = resolveLinks(input.server, env, problems);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      targets,
      journeys,
      buckets: {
        step: withSlo(input.metrics?.stepBucketsSeconds ?? DEFAULT_STEP_BUCKETS),
        // Event latencies are held against step SLOs too (time to first event vs agent_request).
        event: withSlo(input.metrics?.eventBucketsSeconds ?? DEFAULT_EVENT_BUCKETS),
        journey: input.metrics?.journeyBucketsSeconds ?? DEFAULT_JOURNEY_BUCKETS,
      },
      retention: {
        maxAgeDays: input.retention?.maxAgeDays ?? 7,
        maxRuns: input.retention?.maxRuns ?? 5000,
        failedMaxAgeDays: input.retention?.failedMaxAgeDays ?? 30,
        failedMaxRuns: input.retention?.failedMaxRuns ?? 5000,
      },
      server: { host: input.server?.host ?? '127.0.0.1', port: input.server?.port ?? DEFAULT_PORT, ...links },
      runs: {
        dir: runsDir,
        database: input.runs?.database ?? `${runsDir}/gpmon.db`,
        concurrency: input.runs?.concurrency ?? 2,
        jitterMs: input.runs?.jitterMs ?? 0,
        prewarm: input.runs?.prewarm ?? true,
        runnerRuns: input.runs?.runnerRuns ?? DEFAULT_RUNNER_RUNS,
        runnerRssMb: input.runs?.runnerRssMb ?? DEFAULT_RUNNER_RSS_MB,
        passEnv: input.runs?.passEnv ?? [],
      },
    },
  };
}

/**
 * A journey's run settings: what `given` sets (the config's values for it),
 * else its file's, else the defaults: the deadline is the file's `timeoutMs`;
 * the step timeout the file's (capped by a shorter configured deadline) or
 * min(15 s, deadline); the artifact policy DEFAULT_ARTIFACT_POLICY. The one
 * place these defaults are decided: the config uses it for every journey, and
 * so does a caller with a journey but no config (tests, the bench). A given
 * step timeout longer than the deadline is returned as given (the config
 * reports it as a problem).
 */
export function journeyRunSettings(
  definition: Pick<JourneyDefinition, 'timeoutMs' | 'stepTimeoutMs'>,
  given: { readonly timeoutMs?: number | undefined; readonly stepTimeoutMs?: number | undefined; readonly traceScreenshots?: boolean | undefined } = {},
): RunSettings {
  const timeoutMs = given.timeoutMs ?? definition.timeoutMs;
  // The file's step timeout holds only within the configured deadline: a shorter configured timeoutMs caps it.
  const stepTimeoutMs = given.stepTimeoutMs ?? Math.min(definition.stepTimeoutMs ?? defaultStepTimeoutMs(timeoutMs), timeoutMs);
  return { timeoutMs, stepTimeoutMs, artifacts: { traceScreenshots: given.traceScreenshots ?? DEFAULT_ARTIFACT_POLICY.traceScreenshots } };
}

/**
 * The external URL and the runbook's base: each from its environment variable
 * when set (not empty), else from the config; a bad one is a problem named by
 * where it came from. The runbook defaults to the monitor's own copy under the
 * external URL.
 */
function resolveLinks(
  server: { externalUrl?: string | undefined; runbookUrl?: string | undefined } | undefined,
  env: NodeJS.ProcessEnv,
  problems: string[],
): { externalUrl?: string; runbookUrl?: string } {
  const setting = (variable: string, key: 'externalUrl' | 'runbookUrl') => {
    const fromEnv = env[variable] ?? '';
    if (fromEnv.trim() !== '') return { value: fromEnv, where: variable };
    const fromConfig = server?.[key];
    return fromConfig === undefined ? undefined : { value: fromConfig, where: `server.${key}` };
  };
  const parse = (given: { value: string; where: string } | undefined, options: { query: boolean; trimSlash: boolean }) => {
    if (given === undefined) return undefined;
    const parsed = parsePublicUrl(given.value, options);
    if (parsed.ok) return parsed.url;
    problems.push(`${given.where}: ${parsed.problem}`);
    return undefined;
  };
  const externalUrl = parse(setting('GPMON_EXTERNAL_URL', 'externalUrl'), { query: false, trimSlash: true });
  const runbookUrl = parse(setting('GPMON_RUNBOOK_URL', 'runbookUrl'), { query: true, trimSlash: false }) ?? (externalUrl === undefined ? undefined : `${externalUrl}/runbook`);
  return { ...(externalUrl === undefined ? {} : { externalUrl }), ...(runbookUrl === undefined ? {} : { runbookUrl }) };
}

/**
 * The longest gap between consecutive ticks of a cron expression, over its
 * next 200 ticks (enough to see a whole cycle of the usual schedules).
 */
export function scheduleIntervalSeconds(schedule: string): number {
  const task = createTask(schedule, () => undefined);
  try {
    const ticks = task.getNextRuns(200).map((date) => date.getTime());
    let longest = 0;
    for (let i = 1; i < ticks.length; i++) longest = Math.max(longest, (ticks[i] ?? 0) - (ticks[i - 1] ?? 0));
    return longest / 1000;
  } finally {
    void task.destroy();
  }
}

/**
 * A journey's parameters: its file's defaults, with the config's values over
 * them. A name the file does not declare, or a value of another type than the
 * file's default, is a problem named by its path. Undefined when the file
 * declares none.
 */
function resolveParams(
  definition: JourneyDefinition,
  given: Readonly<Record<string, JourneyParamValue>> | undefined,
  where: string,
  problems: string[],
): Record<string, JourneyParamValue> | undefined {
  const declared = definition.params ?? {};
  const known = Object.keys(declared);
  for (const [name, value] of Object.entries(given ?? {})) {
    const spec = declared[name];
    if (spec === undefined) {
      problems.push(`${where}.params.${name}: not a parameter of ${definition.name}${didYouMean(name, known)}; known: ${known.join(', ') || 'none'}`);
      continue;
    }
    const problem = paramProblem(spec, value);
    if (problem !== undefined) problems.push(`${where}.params.${name}: ${problem}`);
  }
  if (known.length === 0) return undefined;
  return { ...Object.fromEntries(Object.entries(declared).map(([name, spec]) => [name, paramDefault(spec)])), ...given };
}
