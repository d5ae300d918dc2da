import { join, resolve } from 'node:path';
import type { MonitorConfig } from '../config/resolve.js';
import type { RunRecord, RunStart } from '../model/run-record.js';
import { RunStore, isBusy } from '../store/run-store.js';
import type { RunSink } from '../monitor/run-service.js';
import type { CliIo } from './usage.js';

/**
 * Where the CLI's runs go: their folders and the history that lists them.
 * A record's artifact paths are relative to its history's runs dir, so the
 * two always move together: a run folder outside the history's dir would be
 * a record whose evidence cannot be opened.
 */
export interface HistoryPlace {
  /** Absolute: the run folders (`<runsDir>/<run id>/`). */
  readonly runsDir: string;
  /** Absolute: the SQLite file. */
  readonly database: string;
  /**
   * Set when `--runs-dir` or GPMON_RUNS_DIR chose another folder than the
   * config's runs.dir: the history is then that folder's own
   * (`<runsDir>/gpmon.db`), not the one `gpmon serve` keeps. Its value is the
   * folder as given, for the hint that finds it again.
   */
  readonly chosenBy?: string;
}

/**
 * The history a CLI command uses: the config's runs.dir and runs.database,
 * resolved from the working directory as `gpmon serve` resolves them (so
 * `gpmon run` records where the daemon records); or, when `--runs-dir` (else
 * GPMON_RUNS_DIR) names another folder, that folder with its own gpmon.db.
 */
export function historyPlace(config: MonitorConfig, runsDirFlag: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): HistoryPlace {
  const configured = { runsDir: resolve(cwd, config.runs.dir), database: resolve(cwd, config.runs.database) };
  const chosen = runsDirFlag ?? (env.GPMON_RUNS_DIR === '' ? undefined : env.GPMON_RUNS_DIR);
  if (chosen === undefined || resolve(cwd, chosen) === configured.runsDir) return configured;
  const runsDir = resolve(cwd, chosen);
  return { runsDir, database: join(runsDir, 'gpmon.db'), chosenBy: chosen };
}

/** How long one write waits for a lock another process holds (SQLite's own busy wait), and how often it is tried. */
const WAIT_PER_TRY_MS = 1_000;
const TRIES = 3;
const PAUSE_BETWEEN_TRIES_MS = 250;

/**
 * The history as a CLI command writes it: a run stored as in flight before
 * it starts (a crash leaves it for the next `gpmon serve` to close as
 * error) and as finished after. The run always goes on: a history that
 * cannot be opened, or stays locked (a daemon busy with it) after a few
 * brief waits, costs a warning on stderr, never the run or its exit code.
 */
export class CliHistory {
  private startStored = false;

  private constructor(
    private readonly store: RunStore | undefined,
    readonly place: HistoryPlace,
    private readonly command: string,
    private readonly io: CliIo,
  ) {}

  /**
   * Opens the history at `place`. With `required` (a command that reads it,
   * like replay) a history that cannot be opened is returned as an error
   * message; otherwise it is a warning and a history that records nothing.
   */
  static open(place: HistoryPlace, command: string, io: CliIo, required: true): { ok: true; history: CliHistory } | { ok: false; error: string };
  static open(place: HistoryPlace, command: string, io: CliIo, required?: false): { ok: true; history: CliHistory };
  static open(place: HistoryPlace, command: string, io: CliIo, required = false): { ok: true; history: CliHistory } | { ok: false; error: string } {
    let store: RunStore;
    try {
      store = RunStore.open(place.database, place.runsDir);
    } catch (error) {
      const why = `the run history ${place.database} cannot be opened: ${messageOf(error)}`;
      if (required) return { ok: false, error: `gpmon ${command}: ${why}` };
      io.err(`gpmon ${command}: ${why}; the run goes on, but is not recorded (--no-record skips the history)`);
      return { ok: true, history: new CliHistory(undefined, place, command, io) };
    }
    store.waitForLocks(WAIT_PER_TRY_MS);
    return { ok: true, history: new CliHistory(store, place, command, io) };
  }

  /** The stored run `id`, finished; undefined when there is none (or no history could be opened). */
  get(id: string): RunRecord | undefined {
    return this.store?.get(id);
  }

  /** The run is about to start. Quiet when it cannot be stored: the finished record still may be. */
  async started(start: RunStart): Promise<void> {
    const store = this.store;
    if (store === undefined) return;
    this.startStored = (await tryWrite(() => {
      store.runStarted(start);
    })) === undefined;
  }

  /** The run ended: true when its record is in the history; false (after a warning naming the run) when it is not. */
  async finished(record: RunRecord): Promise<boolean> {
    const store = this.store;
    if (store === undefined) return false;
    const error = await tryWrite(() => {
      store.runFinished(record);
    });
    if (error === undefined) return true;
    const busy = isBusy(error) ? 'is locked by another process (a gpmon serve busy with it?)' : `could not be written (${messageOf(error)})`;
    const left = this.startStored ? `; it stays listed as in flight until the next gpmon serve start closes it as an error` : '';
    this.io.err(`gpmon ${this.command}: the run history ${this.place.database} ${busy}: run ${record.id} was not recorded${left}; its folder is kept: ${join(this.place.runsDir, record.id)}`);
    return false;
  }

  close(): void {
    this.store?.close();
  }
}

/**
 * A command's history as a run's sink (src/cli/run-once.ts): the run stored
 * as in flight before it starts, its record once it ends. `recorded` hears
 * whether the record is in the history (false after the warning that says
 * why), for the lines that say where.
 */
export function historySink(history: CliHistory, recorded?: (record: RunRecord, stored: boolean) => void): RunSink {
  return {
    name: 'history',
    runStarted: (start) => history.started(start),
    runFinished: async (record) => {
      const stored = await history.finished(record);
      recorded?.(record, stored);
    },
  };
}

/** One write, tried again after a brief pause while the history is locked: undefined once it went through, else the last error. */
async function tryWrite(write: () => void): Promise<unknown> {
  let last: unknown;
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    try {
      write();
      return undefined;
    } catch (error) {
      last = error;
      if (!isBusy(error)) return error;
      if (attempt < TRIES) await new Promise((resolveWait) => setTimeout(resolveWait, PAUSE_BETWEEN_TRIES_MS));
    }
  }
  return last;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The lines that say where a finished run was recorded and how to see it or
 * run it again; one line saying it was not, when it was not.
 */
export function recordedLines(id: string, place: HistoryPlace, recorded: boolean, config?: string): string[] {
  if (!recorded) return [`not recorded in the run history`];
  // The commands must read the same history: with the same --config when one was named.
  const withConfig = config === undefined ? '' : ` --config ${shellWord(config)}`;
  if (place.chosenBy === undefined) return [`recorded: gpmon show ${id}${withConfig}   gpmon replay ${id}${withConfig}`];
  // Another folder's history: the commands find it through the same variable.
  const prefix = `GPMON_RUNS_DIR=${shellWord(place.chosenBy)}`;
  return [`recorded in ${place.database} (the history of --runs-dir or GPMON_RUNS_DIR, not the config's): ${prefix} gpmon show ${id}${withConfig}   ${prefix} gpmon replay ${id}${withConfig}`];
}

/** A folder as one shell word: quoted when it holds anything but the usual path characters. */
function shellWord(text: string): string {
  return /^[\w./~:@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
