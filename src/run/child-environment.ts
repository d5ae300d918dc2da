/**
 * What a run's processes may inherit from the monitor's environment. The
 * monitor holds every target's secrets and its API token; a journey child gets
 * only what a Node process and Playwright need to run and reach a target, plus
 * what the executor hands it (its own target's secret), and the browser gets
 * less still: no secret at all. Allow-lists, not deny-lists: a variable nobody
 * thought of stays out.
 */

/** What any process of a run needs to run, find its fonts and reach a target (proxies, CAs); none of it a secret of ours. */
const BASE: readonly (string | RegExp)[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LANGUAGE',
  /^LC_[A-Z]+$/,
  'TZ',
  /^XDG_[A-Z_]+$/,
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'FONTCONFIG_PATH',
  'FONTCONFIG_FILE',
  // A staging behind a proxy or a private CA is reached the same way by the journey and the browser.
  /^(?:HTTPS?|NO|ALL)_PROXY$/i,
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

/** Names (or name patterns) a journey child inherits from the monitor. */
export const CHILD_INHERITS: readonly (string | RegExp)[] = [
  ...BASE,
  'SHELL',
  'TERM',
  'NODE_EXTRA_CA_CERTS',
  // Which browser runs (src/browser/chromium.ts) and where Playwright keeps its own.
  'GPMON_CHROMIUM',
  'PLAYWRIGHT_BROWSERS_PATH',
];

/** Names (or patterns) the browser inherits from the journey child: none of them holds a secret of ours. */
export const BROWSER_INHERITS: readonly (string | RegExp)[] = [
  ...BASE,
  // The run's own temp folder (given by the executor), for the profile and sockets.
  'TMPDIR',
  // Not a secret: it marks the run's processes, so a deadline kill finds a browser in a group of its own.
  'GPMON_RUN_TAG',
];

function allowed(name: string, list: readonly (string | RegExp)[]): boolean {
  return list.some((entry) => (typeof entry === 'string' ? entry === name : entry.test(name)));
}

/** The entries of `env` whose names the list allows (plus `extra` names, exactly). */
export function pickEnvironment(env: NodeJS.ProcessEnv, list: readonly (string | RegExp)[], extra: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (allowed(name, list) || extra.includes(name)) out[name] = value;
  }
  return out;
}

/**
 * A journey child's whole environment: the allowed part of the monitor's,
 * the operator's extra names (`runs.passEnv`), then what the executor gives
 * (set values win; an undefined one is left out, never inherited).
 */
export function childEnvironment(
  monitorEnv: NodeJS.ProcessEnv,
  given: Readonly<Record<string, string | undefined>>,
  passEnv: readonly string[] = [],
): Record<string, string> {
  const inherited = Object.entries(pickEnvironment(monitorEnv, CHILD_INHERITS, passEnv)).filter(([name]) => !(name in given));
  const set = Object.entries(given).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return Object.fromEntries([...inherited, ...set]);
}

/** The browser's environment, from the journey child's: no secret, whatever the child holds. */
export function browserEnvironment(childEnv: NodeJS.ProcessEnv): Record<string, string> {
  return pickEnvironment(childEnv, BROWSER_INHERITS);
}
