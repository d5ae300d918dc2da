import { existsSync } from 'node:fs';
import { ConfigNotFoundError, loadConfig } from '../config/load.js';
import type { MonitorConfig } from '../config/resolve.js';
import { RunStore, isBusy } from '../store/run-store.js';
import { historyPlace, type HistoryPlace } from './run-history.js';
import { terminalText } from './terminal-text.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';

/**
 * The run history as `gpmon runs` and `gpmon show` read it: the config's
 * runs.database (resolved from the working directory, as `gpmon serve` and
 * `gpmon run` resolve it), or GPMON_RUNS_DIR's own history when that is set,
 * as `gpmon run` prints it.
 */
export interface HistoryReading {
  readonly config: MonitorConfig;
  readonly place: HistoryPlace;
  /** Undefined when the database file does not exist yet: reading never creates one. */
  readonly store: RunStore | undefined;
}

/** How long a read waits for a lock another process holds, ms (opening one may wait the store's own 5 s). */
const READ_WAIT_MS = 2_000;

/**
 * Loads the config (`--config`, else ./monitor.config.ts when there is one)
 * and opens its history for reading. A UsageError (exit 2) names what is
 * wrong: a missing config file, a config with problems, a history that
 * cannot be opened or stays locked. The caller closes the store.
 */
export async function openHistory(command: string, configFile: string | undefined, io: CliIo): Promise<HistoryReading> {
  let loaded: Awaited<ReturnType<typeof loadConfig>>;
  try {
    loaded = await loadConfig(configFile, secretsNotNeeded(io.env));
  } catch (error) {
    if (error instanceof ConfigNotFoundError) throw new UsageError(`gpmon ${command}: --config: ${error.message}`);
    throw error;
  }
  if (!loaded.ok) {
    throw new UsageError(`gpmon ${command}: the config${loaded.file === null ? '' : ` ${loaded.file}`} or a journey file has problems:\n  ${loaded.problems.join('\n  ')}`);
  }
  const place = historyPlace(loaded.config, undefined, io.env);
  if (!existsSync(place.database)) return { config: loaded.config, place, store: undefined };
  let store: RunStore;
  try {
    store = RunStore.open(place.database, place.runsDir);
  } catch (error) {
    throw new UsageError(historyProblem(command, place, error));
  }
  store.waitForLocks(READ_WAIT_MS);
  return { config: loaded.config, place, store };
}

/** Stands in for a secret the shell has not set: it reaches no target (reading contacts none) and no output. */
const NOT_NEEDED = 'not-needed-to-read-the-history';
/** The environment target's secrets (src/model/target.ts); its other GPMON_ variables say what the target is, and are as set. */
const ENV_TARGET_SECRETS = new Set(['GPMON_PASSWORD', 'GPMON_BYPASS_KEY']);

/**
 * The environment the config is resolved with when only the history is read:
 * as set, but a variable that is unset or empty reads as a placeholder, when
 * it is not one of gpmon's own (GPMON_*) or is one of the environment
 * target's secrets. The config names its targets' secrets by variable, and
 * resolving it refuses a missing one; reading runs needs no secret, and the
 * shell an operator reads from seldom holds the daemon's.
 */
export function secretsNotNeeded(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return new Proxy(env, {
    get: (target, key) => {
      const value = Reflect.get(target, key) as string | undefined;
      if (typeof key !== 'string' || (value ?? '') !== '') return value;
      return !key.startsWith('GPMON_') || ENV_TARGET_SECRETS.has(key) ? NOT_NEEDED : value;
    },
  });
}

/** What went wrong with the history, in a sentence: a lock held too long, or the error SQLite gave. */
export function historyProblem(command: string, place: HistoryPlace, error: unknown): string {
  if (isBusy(error)) {
    return `gpmon ${command}: the run history ${place.database} is locked by another process (a gpmon serve or gpmon run writing to it?) and stayed locked while gpmon waited; try again in a moment`;
  }
  return `gpmon ${command}: the run history ${place.database} cannot be read: ${terminalText(error instanceof Error ? error.message : String(error))}`;
}

/**
 * A read command's failure as its exit code: a UsageError, or an error of
 * SQLite met while reading (a lock held past the wait, a damaged file), is
 * printed on stderr as one message, exit 2 (as main would print it, so the
 * command behaves the same called through main or directly). Anything else
 * is a fault of gpmon: rethrown.
 */
export function readFailure(command: string, error: unknown, place: HistoryPlace | undefined, io: CliIo): ExitCode {
  if (error instanceof UsageError) {
    io.err(error.message);
    return 2;
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  if (place !== undefined && typeof code === 'string' && code.startsWith('SQLITE_')) {
    io.err(historyProblem(command, place, error));
    return 2;
  }
  throw error;
}
