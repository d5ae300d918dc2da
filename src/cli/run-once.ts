import { join } from 'node:path';
import type { Executor, RunRequest } from '../run/executor.js';
import type { RunRecord } from '../model/run-record.js';
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

/**
 * One run at the terminal, for `gpmon run`, `gpmon replay` and `gpmon verify`:
 * the live step table (or the record as JSON), and Ctrl-C or SIGTERM
 * stopping the run at once. On a terminal (io.tty) the step that runs shows
 * with a running timer until its row replaces it (src/cli/live-progress.ts);
 * elsewhere the table is plain lines. Exit: 0 passed, 1 failed, 2 error,
 * 130/143 interrupted by SIGINT/SIGTERM.
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
  const live = table ? liveProgress(io, { nameWidth: STEP_WIDTH }) : undefined;
  let signalName: string | undefined;
  void io.stopSignal.then((name) => {
    signalName = name;
    if (live !== undefined) live.print([`gpmon: ${name}: stopping the run`], 'err');
    interrupt.abort(name);
  });
  try {
    if (table) for (const line of headerLines(request.journey.name, request.target.name, request.replayOf)) io.out(line);
    const record = await executor.run({
      ...request,
      signal: interrupt.signal,
      onProgress: (progress) => {
        if (live === undefined) return;
        if (progress.type === 'step_begin') live.begin(progress.step);
        if (progress.type !== 'step_end') return;
        printed.add(progress.step.name);
        live.end(progress.step.name);
        live.print(stepLines(progress.step, progress.failure));
      },
    });
    live?.stop();
    if (table) for (const line of summaryLines(record, printed, join(options.runsDir, record.id))) io.out(line);
    else io.out(terminalJson(record));
    const interrupted = signalName !== undefined && record.failure?.evidence.interrupted !== undefined;
    const exitCode: ExitCode = interrupted ? (SIGNAL_EXIT[signalName ?? ''] ?? 130) : record.outcome === 'passed' ? 0 : record.outcome === 'failed' ? 1 : 2;
    return { record, interrupted, exitCode };
  } finally {
    // The redraw timer ends on every way out, a throw included.
    live?.stop();
  }
}
