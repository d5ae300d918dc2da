/**
 * Finds credentials by where they stand, not by what they look like: the
 * value of an Authorization, Cookie or Set-Cookie header (as a header line or
 * as a HAR `{name, value}` pair, the form of a Playwright trace's network
 * log), a JSON field named like a token, password, secret or session, and a
 * token in a query string. An opaque refresh token or a session cookie has no
 * shape to match; where it stands gives it away. Every value found is then a
 * secret wherever else it appears (localStorage, a DOM snapshot, an
 * `evaluate` result).
 */

/** Shorter values are not taken: `true`, `Bearer` or a short id would then be replaced everywhere. */
export const MIN_HARVEST_LENGTH = 8;

/** Headers whose values are credentials (lower case). */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-e2e-bypass-key',
  'x-api-key',
  'x-auth-token',
  'x-access-token',
  'x-session-token',
  'x-session-id',
  'x-csrf-token',
  'x-xsrf-token',
  'sec-websocket-protocol',
]);

const EXACT_KEYS = new Set(['jwt', 'session', 'sessionid', 'sid', 'password', 'passwd', 'secret', 'apikey', 'bypasskey', 'authorization', 'cookie', 'setcookie', 'privatekey', 'credentials']);

/** A JSON key whose string value is a credential: `access_token`, `refreshToken`, `client_secret`, `password`, `apiKey`… */
export function isCredentialKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_.\s]/g, '');
  return EXACT_KEYS.has(k) || k.endsWith('token') || k.endsWith('secret') || k.endsWith('password') || k.endsWith('apikey') || k.endsWith('sessionid');
}

// "key": "value" (a JSON body, a trace event). The value is a lookahead: a match that took a
// value (`"text":"{"`, once unescaped) must not swallow the quote the next key starts with.
const JSON_PAIR = /"([A-Za-z0-9_.-]{2,64})"\s*:\s*(?="((?:[^"\\]|\\.){1,4096})")/g;
// HAR and CDP headers: {"name": "Authorization", "value": "Bearer …"}.
const NAME_VALUE = /"name"\s*:\s*"([A-Za-z0-9-]{1,64})"\s*,\s*"value"\s*:\s*"((?:[^"\\]|\\.){0,8192})"/g;
// A raw header line (a transcript, a log, an error message).
const HEADER_LINE = /^[ \t]*([A-Za-z0-9-]{2,64})[ \t]*:[ \t]*(.+?)[ \t]*\r?$/gm;
// Tokens in a query string or a fragment.
const QUERY = /[?&#]((?:access|refresh|id|session)?_?token|code|session|sid|key|api_key|password|jwt|auth)=([^&#\s"'\\<>]+)/gi;

/**
 * The credential values in a text, each once, in the forms a redactor must
 * replace (a `Bearer x` header gives `x` and the whole value).
 */
export function harvestCredentials(text: string): string[] {
  const found = new Set<string>();
  const take = (value: string | undefined) => {
    if (value === undefined) return;
    const v = value.trim();
    // All digits (a numeric session id) would cut into every number of a trace: such values are left to their place.
    if (v.length >= MIN_HARVEST_LENGTH && !v.includes('[REDACTED]') && !/^\d+$/.test(v)) found.add(v);
  };
  // A response body is a JSON string inside a trace event, sometimes twice over: look at each level.
  for (const level of escapeLevels(text)) {
    for (const match of level.matchAll(NAME_VALUE)) {
      const name = (match[1] ?? '').toLowerCase();
      if (CREDENTIAL_HEADERS.has(name)) for (const value of headerCredentials(name, unescapeJson(match[2] ?? ''))) take(value);
    }
    for (const match of level.matchAll(JSON_PAIR)) {
      // A token or session id has no spaces; "this field is required" under "password" is a message, not a credential.
      const value = unescapeJson(match[2] ?? '');
      if (isCredentialKey(match[1] ?? '') && !/\s/.test(value)) take(value);
    }
  }
  for (const match of text.matchAll(HEADER_LINE)) {
    const name = (match[1] ?? '').toLowerCase();
    if (CREDENTIAL_HEADERS.has(name)) for (const value of headerCredentials(name, match[2] ?? '')) take(value);
  }
  for (const match of text.matchAll(QUERY)) {
    take(safeDecode(match[2] ?? ''));
    take(match[2]);
  }
  return [...found];
}

/** The credentials inside one header value: the token of `Bearer x`, each cookie's value, a subprotocol's token. */
export function headerCredentials(name: string, value: string): string[] {
  const lower = name.toLowerCase();
  const out = [value];
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const scheme = /^\s*(?:Bearer|Basic|Token|Digest|Negotiate)\s+(.+)$/i.exec(value);
    if (scheme?.[1] !== undefined) out.push(scheme[1]);
  } else if (lower === 'cookie') {
    for (const pair of value.split(';')) out.push(pair.slice(pair.indexOf('=') + 1));
  } else if (lower === 'set-cookie') {
    // One header per line in a HAR export; a cookie's own attributes follow the first ';'.
    for (const line of value.split('\n')) {
      const pair = line.split(';')[0] ?? '';
      out.push(pair.slice(pair.indexOf('=') + 1));
    }
  } else if (lower === 'sec-websocket-protocol') {
    out.length = 0;
    for (const offered of value.split(',')) {
      const token = /^\s*[A-Za-z-]+\.(.+?)\s*$/.exec(offered)?.[1];
      // `chat.v1` is a protocol name; a token is long.
      if (token === undefined || token.length < MIN_HARVEST_LENGTH) continue;
      out.push(token);
      const decoded = Buffer.from(token, 'base64url').toString('utf8');
      if (/^[\x21-\x7e]+$/.test(decoded)) out.push(decoded);
    }
  }
  return out;
}

/** The text, and the text with one and two levels of JSON string escaping undone (only when it has any). */
function escapeLevels(text: string): string[] {
  const levels = [text];
  let current = text;
  for (let i = 0; i < 2 && current.includes('\\"'); i++) {
    current = current.replace(/\\(["\\/])/g, '$1');
    levels.push(current);
  }
  return levels;
}

function unescapeJson(value: string): string {
  try {
    return JSON.parse(`"${value}"`) as string;
  } catch {
    return value;
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
