import { join } from 'node:path';
import type { ConfiguredJourney, ConfiguredTarget } from '../config/resolve.js';
import type { RunExecutor } from '../run/executor.js';
import type { RunInputs, RunRecord, Trigger } from '../model/run-record.js';
import { RunService, type RunSink } from '../monitor/run-service.js';
import { headerLines, stepLines, summaryLines, STEP_WIDTH } from './run-table.js';
import { liveProgress } from './live-progress.js';
import type { CliIo, ExitCode } from './usage.js';
import { terminalJson } from './terminal-text.js';

/** Exit codes of a run stopped by a signal: 128 + the signal's number, as shells report them. */
export const SIGNAL_EXIT: Readonly<Record<string, ExitCode>> = { SIGINT: 130, SIGTERM: 143 };

export interface RunOnceResult {
  readonly record: RunRecord;
  /** Stopped by a signal before it finished: the record says nothing about the target. */
  readonly interrupted: boolean;
  readonly exitCode: ExitCode;
}

/** The one run a command asks for: what it runs, against what, and where its record goes besides the terminal. */
export interface OneRun {
  /** What runs it: the command's Executor (a child per run). */
  readonly executor: RunExecutor;
  /**
   * The journey as the command resolved it: its run settings (timeoutMs,
   * stepTimeoutMs, artifacts) are the run's, whole (a `--timeout` is applied
   * to it before, never added by the executor).
   */
  readonly journey: ConfiguredJourney;
  readonly target: ConfiguredTarget;
  readonly trigger: Trigger;
  readonly replayOf?: string;
  readonly inputs: RunInputs;
  /**
   * The record's other places, in order, after the terminal's summary: the
   * history (stored as in flight before the run starts), a push. Each is
   * waited for; one that throws is rethrown once the others have the run.
   */
  readonly sinks?: readonly RunSink[];
}

/**
 * One run at the terminal, for `gpmon run`, `gpmon replay` and `gpmon verify`,
 * through a RunService of its own as the daemon runs its runs: the live step
 * table from the service's progress (or the record as JSON), the summary and
 * then the command's sinks once the record is in, and Ctrl-C or SIGTERM
 * stopping the run at once (RunService.abort). On a terminal (io.tty) the step
 * that runs shows with a running timer until its row replaces it
 * (src/cli/live-progress.ts); elsewhere the table is plain lines. Exit: 0
 * passed, 1 failed, 2 error, 130/143 interrupted by SIGINT/SIGTERM. Rejects
 * only with a sink's error (or the executor's, which never throws).
 */
export async function runOnce(run: OneRun, io: CliIo, options: { readonly json: boolean; readonly runsDir: string }): Promise<RunOnceResult> {
  const table = !options.json;
  const printed = new Set<string>();
  const live = table ? liveProgress(io, { nameWidth: STEP_WIDTH }) : undefined;
  const failures: unknown[] = [];
  const terminal: RunSink = {
    name: 'terminal',
    runFinished: (record) => {
      live?.stop();
      if (table) for (const line of summaryLines(record, printed, join(options.runsDir, record.id))) io.out(line);
      else io.out(terminalJson(record));
    },
  };
  const runs = new RunService({
    executor: run.executor,
    journeys: [run.journey],
    targets: [run.target],
    sinks: [terminal, ...(run.sinks ?? [])],
    concurrency: 1,
    // The command's own sinks fail as they would outside a service: the command reports it (after the others had the run).
    onSinkError: (_sink, error) => failures.push(error),
  });
  let signalName: string | undefined;
  void io.stopSignal.then((name) => {
    signalName = name;
    if (live !== undefined) live.print([`gpmon: ${name}: stopping the run`], 'err');
    runs.abort(name);
  });
  try {
    const name = run.journey.definition.name;
    if (table) for (const line of headerLines(name, run.target.target.name, run.replayOf)) io.out(line);
    const started = runs.trigger({
      journey: name,
      target: run.target.target.name,
      trigger: run.trigger,
      inputs: run.inputs,
      ...(run.replayOf !== undefined ? { replayOf: run.replayOf } : {}),
    });
    // The service holds this one journey and target, and nothing else runs in it.
    if (started.kind !== 'started') throw new Error(`the run could not start (${started.kind})`);
    runs.watch(started.id, (event) => {
      if (live === undefined) return;
      if (event.type === 'step_begin') live.begin(event.step);
      if (event.type !== 'step_end') return;
      printed.add(event.step.name);
      live.end(event.step.name);
      live.print(stepLines(event.step, event.failure));
    });
    const record = await started.done;
    if (failures.length > 0) throw failures[0];
    const interrupted = signalName !== undefined && wasInterrupted(record);
    const exitCode: ExitCode = interrupted ? (SIGNAL_EXIT[signalName ?? ''] ?? 130) : record.outcome === 'passed' ? 0 : record.outcome === 'failed' ? 1 : 2;
    return { record, interrupted, exitCode };
  } finally {
    // The redraw timer ends on every way out, a throw included.
    live?.stop();
  }
}

/**
 * Whether the run was stopped before it finished (a signal at the terminal:
 * RunService.abort): its record then says nothing about the target, and is
 * pushed nowhere.
 */
export function wasInterrupted(record: RunRecord): boolean {
  return record.failure?.evidence.interrupted !== undefined;
}
