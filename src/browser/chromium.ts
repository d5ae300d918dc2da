import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { X509Certificate, createHash } from 'node:crypto';

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
/**
 * Debian's build of Chromium's headless shell (package chromium-headless-shell,
 * the same Chromium version as the chromium package): what Playwright itself
 * runs for headless tests when it has its own browsers. The full browser in
 * headless mode costs about three times its CPU per run (`npx tsx
 * bench/runner-cost.ts` with Chromium 156: a warm golden-path run 5,435 ms
 * against 2,034 ms), and an idle page of it keeps a core busy for seconds. It cannot show a window: a headed run takes the full
 * browser. The binary itself, not /usr/bin's wrapper script, which would put
 * a shell between Playwright and the browser.
 */
export const DEBIAN_HEADLESS_SHELL = '/usr/lib/chromium/chromium-headless-shell';

export type ChromiumSource = 'setting' | 'environment' | 'debian-headless-shell' | 'debian' | 'playwright';

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
  /** Whether a path is a browser that can run (default: an executable file). */
  readonly exists?: (path: string) => boolean;
  /** Whether the browser runs headless (default true); a headed browser never gets the headless shell. */
  readonly headless?: boolean;
}

/** Whether `path` is a file this process may run: a browser that exists but cannot start is no browser. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export class ChromiumNotFoundError extends Error {
  constructor(
    readonly path: string,
    readonly source: ChromiumSource,
  ) {
    super(`Chromium from the ${source} (${path}) does not exist or is not an executable file`);
    this.name = 'ChromiumNotFoundError';
  }
}

/**
 * Order: an explicit setting, then GPMON_CHROMIUM, then (headless only)
 * Debian's headless shell, then Debian's chromium, then Playwright's own
 * browser (which picks its headless shell itself). A named path that does not exist is an error rather
 * than a silent fall-through: an operator who names a browser means that one.
 */
export function chooseChromium(lookup: ChromiumLookup = {}): ChromiumChoice {
  const env = lookup.env ?? process.env;
  const exists = lookup.exists ?? isExecutableFile;
  const named: [string | undefined, ChromiumSource][] = [
    [lookup.explicit, 'setting'],
    [env[CHROMIUM_ENV_VAR], 'environment'],
  ];
  for (const [path, source] of named) {
    if (path === undefined || path === '') continue;
    if (!exists(path)) throw new ChromiumNotFoundError(path, source);
    return { executablePath: path, source, args: CHROMIUM_FLAGS };
  }
  if (lookup.headless !== false && exists(DEBIAN_HEADLESS_SHELL)) {
    return { executablePath: DEBIAN_HEADLESS_SHELL, source: 'debian-headless-shell', args: CHROMIUM_FLAGS };
  }
  if (exists(DEBIAN_CHROMIUM)) {
    return { executablePath: DEBIAN_CHROMIUM, source: 'debian', args: CHROMIUM_FLAGS };
  }
  return { executablePath: undefined, source: 'playwright', args: CHROMIUM_FLAGS };
}

/** Set by playwright.config.ts in the runner's process when a headed run was asked for, so its workers know too. */
export const HEADED_ENV_VAR = 'GPMON_HEADED';

/**
 * Whether a `playwright test` run by hand may show a window: `--headed`;
 * `--debug` in its inspector mode (the default; not `--debug=cli`), or
 * PWDEBUG set to anything but `0`, `false` or `console` (how Playwright reads
 * it, also from npm's `npm_config_pwdebug`); UI mode and the test server the
 * editors use (`--ui`, `test-server`, `run-server`), whose "show browser" is
 * a switch the config cannot see; or GPMON_HEADED=1. Playwright applies these
 * after the config is read, and its `headless` fixture derives from
 * `launchOptions`, so the browser cannot be chosen from it: the config reads
 * the command line instead (in the runner's process, which exports
 * GPMON_HEADED for the workers, whose own command line is Playwright's).
 * `test.use({ headless: false })` is caught by the kit's fixtures instead.
 */
export function headedRun(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const debug = argv.findIndex((arg) => arg === '--debug' || arg.startsWith('--debug='));
  const debugMode = debug < 0 ? undefined : (argv[debug]?.split('=')[1] ?? (argv[debug + 1] === 'cli' ? 'cli' : 'inspector'));
  const pwdebug = env['PWDEBUG'] ?? env['npm_config_pwdebug'] ?? '';
  return (
    argv.includes('--headed') ||
    (debugMode !== undefined && debugMode !== 'cli') ||
    !['', '0', 'false', 'console'].includes(pwdebug) ||
    argv.some((arg) => arg === '--ui' || arg.startsWith('--ui-') || arg === 'test-server' || arg === 'run-server') ||
    ['1', 'true'].includes(env[HEADED_ENV_VAR] ?? '')
  );
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

/**
 * The flag that has Chromium trust a target's private CA (its `caFile`, a PEM
 * of one or more certificates) and nothing else: Chromium's
 * `--ignore-certificate-errors-spki-list` with the base64 SHA-256 of each
 * certificate's public key (SPKI), honoured for a chain that holds one of
 * them. No flag for no file; a file that cannot be read or holds no
 * certificate gives none either (the config check names it; the page then
 * fails as not trusted, which says so). Unlike the Node clients, Chromium
 * then overlooks every error of such a chain, an expired leaf's too:
 * platform-health's `tls` step is what judges the certificates.
 */
export function privateCaFlags(caFile: string | undefined): string[] {
  if (caFile === undefined || caFile === '') return [];
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch {
    return [];
  }
  const hashes: string[] = [];
  for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
    try {
      hashes.push(createHash('sha256').update(new X509Certificate(block).publicKey.export({ type: 'spki', format: 'der' })).digest('base64'));
    } catch {
      // Not a certificate Node can read: the others still count.
    }
  }
  return hashes.length === 0 ? [] : [`--ignore-certificate-errors-spki-list=${hashes.join(',')}`];
}
