import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/** Where the golden path is checked, without its secrets (they only come from the environment). */

export const DEFAULT_LOCATORS = {
  email: 'input[placeholder="Email"]',
  password: 'input[placeholder="Password"]',
  loginButton: 'button:has-text("Login with Custom Credentials")',
  messageInput: '[data-testid="message-textarea"]',
  sendButton: '[data-testid="send-button"]',
  thinkingIndicator: '[data-testid="thinking-indicator"]',
  assistantMessage: '[role="article"]',
} as const;
export type Locators = { -readonly [K in keyof typeof DEFAULT_LOCATORS]: string };

const trimmed = (u: string) => u.replace(/\/+$/, '');
const baseUrl = z.url({ protocol: /^https?$/ }).transform(trimmed);
const wsUrl = z
  .url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' })
  .refine((u) => !u.includes('#'), 'must not have a #fragment (a WebSocket URL has none)')
  .transform(trimmed);

export const targetSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _ (1-63 characters)'),
  appUrl: baseUrl,
  authUrl: baseUrl,
  apiUrl: baseUrl,
  wsUrl,
  login: z.enum(['form', 'bypass']),
  email: z.email(),
  /**
   * A PEM file of the private CA(s) the target's certificates chain to,
   * trusted beside the system's (contract §8, TLS). In a config file, relative
   * to the config file's folder. Trust is never switched off: there is no
   * "insecure" setting.
   */
  caFile: z.string().min(1, 'must name a PEM file').optional(),
  /**
   * The target promises refresh-token rotation: a refresh token once used is
   * refused. The platform does not promise it (contract §8), so off by
   * default; on, token-refresh fails `security` when an old one still works.
   */
  refreshTokenRotation: z.boolean().optional(),
  locators: z
    .strictObject(Object.fromEntries(Object.keys(DEFAULT_LOCATORS).map((k) => [k, z.string().min(1).optional()])) as Record<keyof Locators, z.ZodOptional<z.ZodString>>)
    .optional(),
});
export type TargetInput = z.input<typeof targetSchema>;

export interface Target {
  readonly name: string;
  readonly appUrl: string;
  readonly authUrl: string;
  readonly apiUrl: string;
  /** The live socket's full URL, as the journeys connect to it (see `socketUrl`). */
  readonly wsUrl: string;
  readonly login: 'form' | 'bypass';
  readonly email: string;
  readonly locators: Locators;
  /** The private CA's PEM file, absolute once resolved (the file is read where a connection is made, not carried). */
  readonly caFile?: string;
  /** Whether a used refresh token must be refused (targetSchema.refreshTokenRotation). */
  readonly refreshTokenRotation?: boolean;
}

export interface TargetSecrets {
  readonly password?: string;
  readonly bypassKey?: string;
}

export function withDefaults(input: z.output<typeof targetSchema>): Target {
  const locators: Locators = { ...DEFAULT_LOCATORS };
  for (const [key, value] of Object.entries(input.locators ?? {})) {
    if (typeof value === 'string') locators[key as keyof Locators] = value;
  }
  return { ...input, wsUrl: socketUrl(input.wsUrl), locators };
}

/**
 * The socket's URL from a configured `wsUrl`: a URL with a path (or a query)
 * is the socket's own and is used as given (`wss://host/ws`,
 * `wss://host/api/live?v=2`); a bare origin (`wss://host`) gets the
 * contract's path, `/ws`. Operators write both forms.
 */
export function socketUrl(configured: string): string {
  let url: URL;
  try {
    url = new URL(configured);
  } catch {
    return configured;
  }
  if ((url.pathname === '' || url.pathname === '/') && url.search === '') return `${configured.replace(/\/+$/, '')}/ws`;
  return configured;
}

export type TargetResult = { ok: true; target: Target; secrets: TargetSecrets } | { ok: false; problems: string[] };

/**
 * A target given wholly by the environment (design.md, Config): the usual case
 * in a container or a CI job. Every missing or bad variable is named at once.
 */
export function targetFromEnv(env: NodeJS.ProcessEnv): TargetResult {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name];
    if (value === undefined || value === '') {
      problems.push(`${name} is not set`);
      return undefined;
    }
    return value;
  };
  const caFile = env.GPMON_CA_FILE === undefined || env.GPMON_CA_FILE === '' ? undefined : resolve(env.GPMON_CA_FILE);
  if (caFile !== undefined) {
    const problem = caFileProblem(caFile);
    if (problem !== undefined) problems.push(`GPMON_CA_FILE: ${problem}`);
  }
  const input = {
    name: env.GPMON_TARGET ?? 'env',
    appUrl: read('GPMON_APP_URL'),
    authUrl: read('GPMON_AUTH_URL'),
    apiUrl: read('GPMON_API_URL'),
    wsUrl: read('GPMON_WS_URL'),
    login: env.GPMON_LOGIN ?? 'bypass',
    email: read('GPMON_EMAIL'),
    ...(caFile === undefined ? {} : { caFile }),
  };
  const parsed = targetSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      const variable = ENV_NAMES[key] ?? key;
      if (!problems.some((p) => p.startsWith(`${variable} `))) problems.push(`${variable}: ${issue.message}`);
    }
  }
  const secrets: TargetSecrets = {
    ...(env.GPMON_PASSWORD ? { password: env.GPMON_PASSWORD } : {}),
    ...(env.GPMON_BYPASS_KEY ? { bypassKey: env.GPMON_BYPASS_KEY } : {}),
  };
  if (input.login === 'form' && secrets.password === undefined) problems.push('GPMON_PASSWORD is not set (GPMON_LOGIN=form)');
  if (input.login === 'bypass' && secrets.bypassKey === undefined) problems.push('GPMON_BYPASS_KEY is not set (GPMON_LOGIN=bypass)');
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  return { ok: true, target: withDefaults(parsed.data), secrets };
}

const ENV_NAMES: Record<string, string> = {
  name: 'GPMON_TARGET',
  appUrl: 'GPMON_APP_URL',
  authUrl: 'GPMON_AUTH_URL',
  apiUrl: 'GPMON_API_URL',
  wsUrl: 'GPMON_WS_URL',
  login: 'GPMON_LOGIN',
  email: 'GPMON_EMAIL',
  caFile: 'GPMON_CA_FILE',
};

/**
 * Why `path` cannot be a target's CA file, or undefined when it can: a file
 * that cannot be read, or that holds no PEM certificate, or one that does not
 * parse. Names the path; the caller says which setting gave it.
 */
export function caFileProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : code === 'EACCES' ? 'permission denied' : error instanceof Error ? error.message : String(error);
    return `cannot read ${path}: ${why}`;
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`;
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      return `${path}: certificate ${index + 1} of ${blocks.length} does not parse (${error instanceof Error ? error.message : String(error)})`;
    }
  }
  return undefined;
}
