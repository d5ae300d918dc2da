import { join } from 'node:path';
import type { Executor, RunRequest } from '../run/executor.js';
import type { RunRecord } from '../model/run-record.js';
import { headerLines, stepLines, summaryLines } from './run-table.js';
import type { CliIo, ExitCode } from './usage.js';

/** Exit codes of a run stopped by a signal: 128 + the signal's number, as shells report them. */
export const SIGNAL_EXIT: Readonly<Record<string, ExitCode>> = { SIGINT: 130, SIGTERM: 143 };

export interface RunOnceResult {
  readonly record: RunRecord;
  /** Stopped by a signal before it finished: the record says nothing about the target. */
  readonly interrupted: boolean;
  readonly exitCode: ExitCode;
}

/**
 * One run at the terminal, for `gpmon run` and `gpmon replay`: the live step
 * table (or the record as JSON), and Ctrl-C or SIGTERM stopping the run at
 * once. Exit: 0 passed, 1 failed, 2 error, 130/143 interrupted by SIGINT/SIGTERM.
 */
export async function runOnce(
  executor: Executor,
  request: Omit<RunRequest, 'onProgress' | 'signal'>,
  io: CliIo,
  options: { readonly json: boolean; readonly runsDir: string },
): Promise<RunOnceResult> {
  const table = !options.json;
  const printed = new Set<string>();
  const interrupt = new AbortController();
  let signalName: string | undefined;
  void io.stopSignal.then((name) => {
    signalName = name;
    if (table) io.err(`gpmon: ${name}: stopping the run`);
    interrupt.abort(name);
  });
  if (table) for (const line of headerLines(request.journey.name, request.target.name)) io.out(line);
  const record = await executor.run({
    ...request,
    signal: interrupt.signal,
    onProgress: (progress) => {
      if (!table || progress.type !== 'step_end') return;
      printed.add(progress.step.name);
      for (const line of stepLines(progress.step, progress.failure)) io.out(line);
    },
  });
  if (table) for (const line of summaryLines(record, printed, join(options.runsDir, record.id))) io.out(line);
  else io.out(JSON.stringify(record, null, 2));
  const interrupted = signalName !== undefined && record.failure?.evidence.interrupted !== undefined;
  const exitCode: ExitCode = interrupted ? (SIGNAL_EXIT[signalName ?? ''] ?? 130) : record.outcome === 'passed' ? 0 : record.outcome === 'failed' ? 1 : 2;
  return { record, interrupted, exitCode };
}
