import { Command } from 'commander';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../config/load.js';
import type { ConfiguredJourney } from '../config/resolve.js';
import { callJson } from '../kit/http.js';
import { displayUrl, pushRun, type PushOptions } from '../metrics/push.js';
import { didYouMean } from '../model/did-you-mean.js';
import { REVISION_PATTERN, parseDuration, revisionMatches } from '../model/revision.js';
import type { RunRecord } from '../model/run-record.js';
import type { Target } from '../model/target.js';
import { Executor } from '../run/executor.js';
import type { RunSink } from '../monitor/run-service.js';
import { CliHistory, historyPlace, historySink } from './run-history.js';
import { PROJECT_ROOT } from '../catalog/shipped.js';
import { cliTargetName, resolveCliTarget } from './cli-target.js';
import { SIGNAL_EXIT, runOnce, wasInterrupted } from './run-once.js';
import { checkPushUrl, pushLocation } from './push-flags.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';
import { monitorVersion, playwrightVersion } from './versions.js';

const VERIFY_HELP = `
The target: a target of the config; env, the target the environment
describes (GPMON_APP_URL, GPMON_AUTH_URL, GPMON_API_URL, GPMON_WS_URL,
GPMON_LOGIN, GPMON_EMAIL, GPMON_PASSWORD or GPMON_BYPASS_KEY, GPMON_CA_FILE);
or simulator. Default: env when GPMON_APP_URL is set, else the simulator.
Each journey runs with the config's inputs and timeouts and is recorded in
the run history.

Exit: 0 verified (SHA live, every journey passed on it); 1 not live within
      --within, or a journey failed or ran on another revision; 2 error (the
      monitor, a failed --push) or bad usage; 130 stopped by Ctrl-C (143 by
      SIGTERM).`;

/** What `gpmon verify` takes, as commander parses it. */
export interface VerifyFlags {
  readonly target?: string;
  readonly expectRevision?: string;
  readonly within?: string;
  readonly poll?: string;
  readonly journeys?: string;
  readonly config?: string;
  readonly push?: string;
  readonly json?: boolean;
}

/** `gpmon verify`'s grammar and help; main.ts gives it its action. */
export function verifySpec(): Command {
  return new Command('verify')
    .description('after a deploy (in CI): wait until the target runs a commit, then run the golden path on it')
    .option('--expect-revision <sha>', 'the commit that was deployed: 7-40 hex digits (a short SHA matches the full one the target reports)')
    .option('--target <name>', 'a target of the config, env or simulator (see below)')
    .option('--within <duration>', 'how long the deploy may take to go live (default 10m; 1s to 24h)')
    .option('--poll <duration>', "how often to read the target's /api/system/info meanwhile (default 5s; 100ms to 5m)")
    .option('--journeys <a,b>', 'the journeys to run, one after another, once SHA is live (default: the golden path pair, golden-path,golden-path-api)')
    .option('--config <file>', 'the config (default ./monitor.config.ts, when there is one): its targets, journeys and run history')
    .option('--push <url>', "push each run's metrics to a Prometheus Pushgateway, as gpmon run --push does")
    .option('--json', 'print one JSON object (verdict, target, expectedRevision, observedRevision, waitedMs, runs) instead of the tables')
    .addHelpText('after', VERIFY_HELP);
}

/** The golden path pair: the browser and the protocol journey, which tell a front-end fault from a back-end one. */
export const DEFAULT_VERIFY_JOURNEYS = ['golden-path', 'golden-path-api'] as const;

const WITHIN = { default: '10m', min: 1000, max: 24 * 3_600_000 };
const POLL = { default: '5s', min: 100, max: 300_000 };

export type Verdict = 'verified' | 'failed' | 'not_effective' | 'error';

/** What one read of /api/system/info showed. */
type Observation = { kind: 'revision'; revision: string } | { kind: 'absent' } | { kind: 'error'; message: string };

/** `gpmon verify`: wait for the deployed revision on the target, then run the journeys on it; the verdict as the exit code. */
export async function verifyCommand(values: VerifyFlags, io: CliIo): Promise<ExitCode> {
  const expected = values.expectRevision;
  if (expected === undefined) throw new UsageError('gpmon verify: --expect-revision: required, the commit that was deployed (7-40 hex digits)');
  if (!REVISION_PATTERN.test(expected)) throw new UsageError(`gpmon verify: --expect-revision: "${expected}" is not a commit (7-40 hex digits)`);
  // Said back as the user wrote it: ms() would round 1.5m to "2m".
  const withinText = values.within ?? WITHIN.default;
  const withinMs = duration('--within', withinText, WITHIN);
  const pollMs = duration('--poll', values.poll ?? POLL.default, POLL);
  checkPushUrl('verify', values.push);
  const location = pushLocation('verify', io.env);
  const loaded = await loadConfig(values.config, io.env);
  if (!loaded.ok) throw new UsageError(`gpmon verify: the config or a journey file has problems:\n  ${loaded.problems.join('\n  ')}`);
  const config = loaded.config;
  const chosen = chooseJourneys(values.journeys, config.journeys);
  const json = values.json === true;

  const { target, secrets, stop: stopSimulator } = await resolveCliTarget('verify', cliTargetName(values.target, io.env), config, io.env);
  let signalName: string | undefined;
  const stopped = io.stopSignal.then((name) => (signalName = name));
  try {
    const wait = await waitForRevision(target, expected, { ms: withinMs, text: withinText }, pollMs, io, stopped);
    if (wait === 'stopped') {
      io.err(`gpmon verify: ${signalName ?? 'SIGINT'}: stopped while waiting for ${expected} on ${target.name}`);
      return SIGNAL_EXIT[signalName ?? ''] ?? 130;
    }
    const report = { target: target.name, expectedRevision: expected, observedRevision: wait.observed?.kind === 'revision' ? wait.observed.revision : null, waitedMs: Math.round(wait.waitedMs) };
    if (!wait.live) {
      const line = `deployed but not effective: ${target.name} still serves ${describe(wait.observed)} after ${withinText}; expected ${expected}`;
      if (json) io.out(JSON.stringify({ verdict: 'not_effective', ...report, runs: [] }, null, 2));
      if (json) io.err(line);
      else io.out(line);
      return 1;
    }

    const place = historyPlace(config, undefined, io.env);
    const history = CliHistory.open(place, 'verify', io).history;
    const executor = new Executor({ projectRoot: PROJECT_ROOT, runsDir: place.runsDir });
    const records: RunRecord[] = [];
    const pushed = { failed: false };
    const pushTo = values.push;
    try {
      for (const configured of chosen) {
        if (signalName !== undefined) return SIGNAL_EXIT[signalName] ?? 130;
        const sinks: RunSink[] = [historySink(history)];
        if (pushTo !== undefined) {
          sinks.push({
            name: 'push',
            runFinished: async (run) => {
              // An interrupted run says nothing about the target: it is not pushed.
              if (wasInterrupted(run)) return;
              if (!(await push(pushTo, run, configured, config.buckets, location, io))) pushed.failed = true;
            },
          });
        }
        // Each journey with the config's inputs and run settings; stored as in flight first (a run cut short by a
        // crash is closed as error at the next start), then pushed.
        const { record, interrupted, exitCode } = await runOnce(
          { executor, journey: configured, target: { target, secrets }, trigger: 'manual', inputs: configured.inputs, sinks },
          // With --json the one object at the end is all of stdout.
          json ? { ...io, out: () => undefined } : io,
          { json, runsDir: place.runsDir },
        );
        if (interrupted) return exitCode;
        records.push(record);
      }
    } finally {
      await executor.close();
      history.close();
    }

    const judged = records.map((record) => judge(expected, record));
    const verdict = verdictOf(expected, target.name, judged);
    if (json) {
      const runs = judged.map(({ record, flapped }) => ({
        id: record.id,
        journey: record.journey,
        outcome: record.outcome,
        revision: record.targetInfo.revision,
        flapped,
        ...(record.failure === undefined ? {} : { failure: { step: record.failure.step, reason: record.failure.reason, message: record.failure.message } }),
      }));
      io.out(JSON.stringify({ verdict: verdict.verdict, ...report, runs }, null, 2));
      io.err(verdict.line);
    } else {
      for (const line of summaryTable(judged)) io.out(line);
      io.out(verdict.line);
    }
    // A failed push is the monitor's error, but never hides the target's failure.
    return verdict.exitCode === 0 && pushed.failed ? 2 : verdict.exitCode;
  } finally {
    await stopSimulator?.();
  }
}

function duration(flag: string, text: string, bounds: { min: number; max: number }): number {
  const parsed = parseDuration(text, bounds);
  if (!parsed.ok) throw new UsageError(`gpmon verify: ${flag}: ${parsed.error}`);
  return parsed.ms;
}

/** The journeys `--journeys` names, in its order, each once; unknown names are a usage error that lists the known. */
function chooseJourneys(flag: string | undefined, journeys: readonly ConfiguredJourney[]): ConfiguredJourney[] {
  const known = journeys.map((j) => j.definition.name);
  const names = flag === undefined ? [...DEFAULT_VERIFY_JOURNEYS] : flag.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) throw new UsageError(`gpmon verify: --journeys: "${flag ?? ''}" has an empty name; a comma list of journeys (${known.join(', ')})`);
  return [...new Set(names)].map((name) => {
    const found = journeys.find((j) => j.definition.name === name);
    if (found === undefined) throw new UsageError(`gpmon verify: --journeys: unknown journey "${name}"${didYouMean(name, known)}; known: ${known.join(', ')}`);
    return found;
  });
}

/**
 * Reads the target's /api/system/info every `pollMs` until it reports
 * `expected` or `withinMs` has passed (a last read at the end), saying on
 * stderr what it saw whenever that changes. A signal stops it at once.
 */
async function waitForRevision(
  target: Target,
  expected: string,
  within: { readonly ms: number; readonly text: string },
  pollMs: number,
  io: CliIo,
  stopped: Promise<unknown>,
): Promise<'stopped' | { live: boolean; observed: Observation | undefined; waitedMs: number }> {
  const withinMs = within.ms;
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const halt = stopped.then(() => 'stopped' as const);
  let last: Observation | undefined;
  for (;;) {
    const remaining = withinMs - elapsed();
    const observed = await Promise.race([observe(target, Math.round(Math.min(10_000, Math.max(remaining, 250)))), halt]);
    if (observed === 'stopped') return 'stopped';
    if (observed.kind === 'revision' && revisionMatches(expected, observed.revision)) {
      io.err(`gpmon verify: ${expected} is live on ${target.name} (${observed.revision}) after ${seconds(elapsed())}`);
      return { live: true, observed, waitedMs: elapsed() };
    }
    if (last === undefined || describe(last) !== describe(observed)) {
      io.err(`gpmon verify: ${target.name} serves ${describe(observed)} (waiting for ${expected}, ${seconds(elapsed())} of ${within.text})`);
    }
    last = observed;
    const left = withinMs - elapsed();
    if (left <= 0) return { live: false, observed, waitedMs: elapsed() };
    // Cancelled once the race is decided: no timer outlives a stopped command.
    const nap = new AbortController();
    const slept = await Promise.race([delay(Math.min(pollMs, left), 'slept' as const, { signal: nap.signal }).catch(() => 'slept' as const), halt]);
    nap.abort();
    if (slept === 'stopped') return 'stopped';
  }
}

async function observe(target: Target, timeoutMs: number): Promise<Observation> {
  try {
    const answer = await callJson(`${target.apiUrl}/api/system/info`, { timeoutMs, caFile: target.caFile });
    if (answer.status !== 200) return { kind: 'error', message: `GET /api/system/info answered ${answer.status}` };
    const commit = typeof answer.body === 'object' && answer.body !== null ? (answer.body as Record<string, unknown>).git_commit : undefined;
    return typeof commit === 'string' && commit !== '' ? { kind: 'revision', revision: commit } : { kind: 'absent' };
  } catch (error) {
    return { kind: 'error', message: `GET /api/system/info: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function describe(observed: Observation | undefined): string {
  if (observed === undefined || observed.kind === 'absent') return 'an unknown revision (git_commit absent)';
  return observed.kind === 'revision' ? observed.revision : `an unknown revision (${observed.message})`;
}

const seconds = (elapsedMs: number) => `${(elapsedMs / 1000).toFixed(1)} s`;

async function push(url: string, record: RunRecord, configured: ConfiguredJourney, buckets: PushOptions['buckets'], location: string | undefined, io: CliIo): Promise<boolean> {
  const pushed = await pushRun(url, record, {
    buckets,
    steps: configured.definition.steps,
    versions: { monitor: monitorVersion(), playwright: playwrightVersion() },
    alerting: { sloMs: configured.slo, pageAfterFailures: configured.pageAfterFailures, intervalSeconds: configured.intervalSeconds },
    ...(location === undefined ? {} : { location }),
  });
  if (!pushed.ok) {
    io.err(`gpmon verify: --push ${displayUrl(url)}: ${pushed.error}`);
    return false;
  }
  if (pushed.warning !== undefined) io.err(`gpmon verify: --push ${displayUrl(url)}: ${pushed.warning}`);
  return true;
}

/**
 * A run as the verdict counts it. One that read another revision than
 * `expected` (the rollout flapped) is failed: it passed on something else. A
 * run that read none (a journey that does not read /api/system/info, or the
 * read failed) counts as its outcome.
 */
export interface JudgedRun {
  readonly record: RunRecord;
  readonly flapped: boolean;
  readonly status: 'passed' | 'failed' | 'error';
}

export function judge(expected: string, record: RunRecord): JudgedRun {
  const seen = record.targetInfo.revision;
  const flapped = seen !== null && !revisionMatches(expected, seen);
  const status = record.outcome === 'error' ? 'error' : record.outcome === 'failed' || flapped ? 'failed' : 'passed';
  return { record, flapped, status };
}

/** The one line CI reads, and the exit code: a failure of the target outranks an error of the monitor. */
export function verdictOf(expected: string, target: string, runs: readonly JudgedRun[]): { verdict: Verdict; line: string; exitCode: ExitCode } {
  const failed = runs.find((run) => run.status === 'failed');
  if (failed !== undefined) return { verdict: 'failed', line: `${expected} is live on ${target}, but ${failedWhy(failed)}`, exitCode: 1 };
  const errored = runs.find((run) => run.status === 'error');
  if (errored !== undefined) {
    const f = errored.record.failure;
    const why = f === undefined ? 'with outcome error' : `at ${f.step} (${f.reason}): ${f.message}`;
    return { verdict: 'error', line: `${expected} is live on ${target}, but the monitor could not check ${errored.record.journey}: it failed ${why}`, exitCode: 2 };
  }
  return { verdict: 'verified', line: `verified: ${target} runs ${expected}, and ${runs.length} of ${runs.length} journeys passed on it`, exitCode: 0 };
}

function failedWhy({ record, flapped }: JudgedRun): string {
  if (flapped) return `${record.journey} ran on ${record.targetInfo.revision ?? '?'} (the rollout flapped?)`;
  const f = record.failure;
  return f === undefined ? `${record.journey} failed` : `${record.journey} failed at ${f.step} (${f.reason}): ${f.message}`;
}

const COLUMNS = { journey: 20, outcome: 8, revision: 13 };

function summaryTable(runs: readonly JudgedRun[]): string[] {
  const row = (journey: string, outcome: string, revision: string, detail: string) =>
    `  ${journey.padEnd(COLUMNS.journey)} ${outcome.padEnd(COLUMNS.outcome)} ${revision.padEnd(COLUMNS.revision)} ${detail}`.trimEnd();
  return [
    'verify:',
    row('JOURNEY', 'OUTCOME', 'REVISION', 'FAILURE'),
    ...runs.map(({ record, flapped, status }) => {
      const f = record.failure;
      const detail = flapped && record.outcome !== 'error' ? `ran on ${record.targetInfo.revision ?? '?'}, not the expected revision` : f === undefined ? '' : `${f.step} (${f.reason}): ${f.message}`;
      // A journey that does not read /api/system/info (or could not) says so: its run counts as its outcome.
      return row(record.journey, status === 'passed' ? 'passed' : status.toUpperCase(), record.targetInfo.revision?.slice(0, 12) ?? 'not read', detail);
    }),
  ];
}
