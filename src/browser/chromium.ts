import { existsSync } from 'node:fs';

/**
 * The one place that decides which Chromium runs and with which flags.
 * Everything that launches a browser (playwright.config.ts, the executor, tests)
 * asks here, so a host without Playwright's own browser build works the same
 * everywhere.
 */

/** Flags a root, offline Linux host needs: no sandbox as root, no GPU, and no
 * background calls home that a closed network refuses one by one. */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const CHROMIUM_ENV_VAR = 'GPMON_CHROMIUM';
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export type ChromiumSource = 'setting' | 'environment' | 'debian' | 'playwright';

export interface ChromiumChoice {
  /** Undefined means Playwright's own bundled browser. */
  readonly executablePath: string | undefined;
  readonly source: ChromiumSource;
  readonly args: readonly string[];
}

export interface ChromiumLookup {
  /** An explicit path from config or a CLI flag; wins over everything. */
  readonly explicit?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly exists?: (path: string) => boolean;
}

export class ChromiumNotFoundError extends Error {
  constructor(
    readonly path: string,
    readonly source: ChromiumSource,
  ) {
    super(`Chromium from the ${source} (${path}) does not exist`);
    this.name = 'ChromiumNotFoundError';
  }
}

/**
 * Order: an explicit setting, then GPMON_CHROMIUM, then Debian's chromium, then
 * Playwright's own browser. A named path that does not exist is an error rather
 * than a silent fall-through: an operator who names a browser means that one.
 */
export function chooseChromium(lookup: ChromiumLookup = {}): ChromiumChoice {
  const env = lookup.env ?? process.env;
  const exists = lookup.exists ?? existsSync;
  const named: [string | undefined, ChromiumSource][] = [
    [lookup.explicit, 'setting'],
    [env[CHROMIUM_ENV_VAR], 'environment'],
  ];
  for (const [path, source] of named) {
    if (path === undefined || path === '') continue;
    if (!exists(path)) throw new ChromiumNotFoundError(path, source);
    return { executablePath: path, source, args: CHROMIUM_FLAGS };
  }
  if (exists(DEBIAN_CHROMIUM)) {
    return { executablePath: DEBIAN_CHROMIUM, source: 'debian', args: CHROMIUM_FLAGS };
  }
  return { executablePath: undefined, source: 'playwright', args: CHROMIUM_FLAGS };
}

/** Launch options in the shape both `chromium.launch()` and `use.launchOptions` take. */
export function chromiumLaunchOptions(lookup: ChromiumLookup = {}): {
  executablePath?: string;
  args: string[];
} {
  const choice = chooseChromium(lookup);
  return choice.executablePath === undefined
    ? { args: [...choice.args] }
    : { executablePath: choice.executablePath, args: [...choice.args] };
}
