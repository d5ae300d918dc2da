/**
 * Subprotocol negotiation as contract §4 states it (RFC 6455 §4.2.2): pure
 * functions, so the rules are tested on their own and the server only applies
 * the outcome.
 */

export const TOKEN_PREFIXES = ['jwt.', 'jwt-auth.', 'bearer.'] as const;
export const BARE_PROTOCOLS = ['jwt-auth', 'jwt', 'bearer', 'e2e-testing'] as const;

export type Negotiation =
  | { kind: 'select'; protocol: string }
  | { kind: 'refuse'; offered: readonly string[] }
  | { kind: 'none' };

// RFC 7230 token characters: what a subprotocol value may contain.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export type Offer = { ok: true; protocols: string[] } | { ok: false; error: string };

/** Parses Sec-WebSocket-Protocol (possibly repeated) into the offered values, in order. */
export function parseOffer(header: string | string[] | undefined): Offer {
  if (header === undefined) return { ok: true, protocols: [] };
  const joined = Array.isArray(header) ? header.join(',') : header;
  const protocols = joined.split(',').map((value) => value.trim());
  if (protocols.length === 1 && protocols[0] === '') return { ok: true, protocols: [] };
  const bad = protocols.find((value) => !TOKEN.test(value));
  if (bad !== undefined) return { ok: false, error: `invalid subprotocol value ${JSON.stringify(bad)}` };
  if (new Set(protocols).size !== protocols.length) return { ok: false, error: 'duplicate subprotocol value' };
  return { ok: true, protocols };
}

export function negotiate(offered: readonly string[]): Negotiation {
  if (offered.length === 0) return { kind: 'none' };
  const withToken = offered.find((value) => TOKEN_PREFIXES.some((prefix) => value.startsWith(prefix)));
  if (withToken !== undefined) return { kind: 'select', protocol: withToken };
  const bare = offered.find((value) => (BARE_PROTOCOLS as readonly string[]).includes(value));
  if (bare !== undefined) return { kind: 'select', protocol: bare };
  return { kind: 'refuse', offered };
}

/**
 * The access token carried in an offered value. Clients send
 * base64url(token) without padding; some send the JWT itself. Both are taken.
 */
export function tokenFromProtocol(protocol: string): string | undefined {
  const prefix = TOKEN_PREFIXES.find((p) => protocol.startsWith(p));
  if (prefix === undefined) return undefined;
  const carried = protocol.slice(prefix.length);
  if (carried === '') return undefined;
  if (looksLikeJwt(carried)) return carried;
  const decoded = Buffer.from(carried, 'base64url').toString('utf8');
  return looksLikeJwt(decoded) ? decoded : undefined;
}

function looksLikeJwt(text: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text);
}

/** The value a browser offers for a token: `jwt.` + base64url without `=` padding. */
export function protocolForToken(token: string): string {
  return `jwt.${Buffer.from(token, 'utf8').toString('base64url')}`;
}
