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

/**
 * Loads monitor.config.ts (or the named file) and resolves it. No file and
 * none named is a valid start: defaults, and the embedded simulator as target.
 * A file that throws while loading is reported as a problem, not a crash.
 */
export async function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<ConfigResult & { file: string | null }> {
  const path = resolve(cwd, file ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (file !== undefined) throw new ConfigNotFoundError(path);
    return { ...resolveConfig(undefined, env), file: null };
  }
  let raw: unknown;
  try {
    const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
    raw = module.default;
  } catch (error) {
    return { ok: false, problems: [`${path}: cannot load: ${error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error)}`], file: path };
  }
  if (raw === undefined) return { ok: false, problems: [`${path}: no default export (export default defineConfig({...}))`], file: path };
  return { ...resolveConfig(raw, env), file: path };
}
