import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { discoverJourneys, loadError, type JourneyFolder } from '../catalog/discover.js';
import { PROJECT_ROOT, SHIPPED_JOURNEYS } from '../catalog/shipped.js';
import { resolveConfig, type ConfigResult } from './resolve.js';

export const DEFAULT_CONFIG_FILE = 'monitor.config.ts';
/** The config files looked for when none is named, in this order: the first one there is read. */
export const DEFAULT_CONFIG_FILES = [DEFAULT_CONFIG_FILE, 'monitor.config.mjs', 'monitor.config.js'] as const;

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
 * Loads monitor.config.ts (or the named file), discovers the journeys (the
 * shipped folder, then the config's `journeyDirs`, relative to the config
 * file's folder) and resolves the config against them. No file and none
 * named is a valid start: defaults, the shipped journeys, and the embedded
 * simulator as target. A file that throws while loading, that does not finish
 * loading in time (a top-level await that never settles), or whose default
 * export is not a config object is reported as a problem, not a crash or a
 * silent default; so is every journey file that does not load or declare
 * (src/catalog/discover.ts), each naming its file.
 */
export async function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
  shipped: JourneyFolder = SHIPPED_JOURNEYS,
): Promise<ConfigResult & { file: string | null; /** The config's journeyDirs, absolute. */ journeyDirs?: readonly string[] }> {
  const path = resolve(cwd, file ?? DEFAULT_CONFIG_FILES.find((name) => existsSync(resolve(cwd, name))) ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (file !== undefined) throw new ConfigNotFoundError(path);
    return { ...(await resolveWithJourneys(undefined, env, [shipped], cwd)), file: null };
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
    return { ok: false, problems: [`${path}: cannot load: ${loadError(error)}`], file: path };
  } finally {
    clearTimeout(timer);
  }
  if (raw === undefined) return { ok: false, problems: [`${path}: no default export (export default defineConfig({...}))`], file: path };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: [`${path}: the default export is ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`}, not a config object (export default defineConfig({...}))`], file: path };
  }
  // The folders are read before the schema checks the rest: a bad entry is left out here and named by the schema.
  const given = (raw as { journeyDirs?: unknown }).journeyDirs;
  const dirs = Array.isArray(given) ? given.filter((dir): dir is string => typeof dir === 'string' && dir !== '') : [];
  const folders = [shipped, ...dirs.map((dir) => ({ path: resolve(dirname(path), dir), label: `journeyDirs: ${dir}` }))];
  return { ...(await resolveWithJourneys(raw, env, folders, dirname(path))), file: path, journeyDirs: folders.slice(1).map((folder) => folder.path) };
}

/** Discovers the journeys in `folders` and resolves `raw` against them (its paths relative to `baseDir`): the problems of both, together. */
async function resolveWithJourneys(raw: unknown, env: NodeJS.ProcessEnv, folders: readonly JourneyFolder[], baseDir: string): Promise<ConfigResult> {
  const found = await discoverJourneys(PROJECT_ROOT, folders);
  const resolved = resolveConfig(raw, env, found.journeys, baseDir);
  if (found.ok) return resolved;
  return { ok: false, problems: [...found.problems, ...(resolved.ok ? [] : resolved.problems)] };
}

function loadTimeout(env: NodeJS.ProcessEnv): number {
  const given = Number(env.GPMON_CONFIG_LOAD_TIMEOUT_MS ?? '');
  return Number.isInteger(given) && given > 0 ? given : CONFIG_LOAD_TIMEOUT_MS;
}
