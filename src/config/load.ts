import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveConfig, type ConfigResult } from './resolve.js';

export const DEFAULT_CONFIG_FILE = 'monitor.config.ts';

/** A config file named on the command line that is not there. */
export class ConfigNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`config file ${path} does not exist`);
    this.name = 'ConfigNotFoundError';
  }
}

/** How long a config module may take to load (its top-level awaits included), in ms; GPMON_CONFIG_LOAD_TIMEOUT_MS overrides it. */
export const CONFIG_LOAD_TIMEOUT_MS = 10_000;

/**
 * Loads monitor.config.ts (or the named file) and resolves it. No file and
 * none named is a valid start: defaults, and the embedded simulator as target.
 * A file that throws while loading, that does not finish loading in time (a
 * top-level await that never settles), or whose default export is not a
 * config object is reported as a problem, not a crash or a silent default.
 */
export async function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<ConfigResult & { file: string | null }> {
  const path = resolve(cwd, file ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (file !== undefined) throw new ConfigNotFoundError(path);
    return { ...resolveConfig(undefined, env), file: null };
  }
  const timeoutMs = loadTimeout(env);
  let raw: unknown;
  let timer: NodeJS.Timeout | undefined;
  try {
    // The timer also keeps the process alive: a module whose await never settles would otherwise end it with code 13 and no word.
    const timedOut = new Promise<'timeout'>((resolveTimeout) => {
      timer = setTimeout(() => {
        resolveTimeout('timeout');
      }, timeoutMs);
    });
    const loaded = await Promise.race([import(pathToFileURL(path).href) as Promise<{ default?: unknown }>, timedOut]);
    if (loaded === 'timeout') return { ok: false, problems: [`${path}: did not finish loading within ${timeoutMs / 1000} s (a top-level await that never settles?)`], file: path };
    raw = loaded.default;
  } catch (error) {
    return { ok: false, problems: [`${path}: cannot load: ${error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error)}`], file: path };
  } finally {
    clearTimeout(timer);
  }
  if (raw === undefined) return { ok: false, problems: [`${path}: no default export (export default defineConfig({...}))`], file: path };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: [`${path}: the default export is ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`}, not a config object (export default defineConfig({...}))`], file: path };
  }
  return { ...resolveConfig(raw, env), file: path };
}

function loadTimeout(env: NodeJS.ProcessEnv): number {
  const given = Number(env.GPMON_CONFIG_LOAD_TIMEOUT_MS ?? '');
  return Number.isInteger(given) && given > 0 ? given : CONFIG_LOAD_TIMEOUT_MS;
}
