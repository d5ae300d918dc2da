import type { Target, TargetSecrets } from '../model/target.js';
import { callJson, detailOf, httpEvidence } from './http.js';
import { JourneyFailure } from './failure.js';

export interface Session {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly userId: string;
  readonly email: string;
}

/** What a login needs of its run: the target, its secrets, the step timeout, and where to register the tokens it gets. */
export interface LoginRun {
  readonly target: Target;
  readonly secrets: TargetSecrets;
  readonly stepTimeoutMs: number;
  secret(value: string | undefined): void;
}

/**
 * Logs in over HTTP the way the target's strategy says: the password login,
 * or staging's E2E bypass, within `timeoutMs` (default the run's step
 * timeout). The tokens it gets are registered as the run's secrets before it
 * returns, so no log, record or artifact holds them. A 401/403 is
 * `auth_rejected`, a 5xx `auth_unavailable`, anything else unexpected
 * `http_error`.
 */
export async function loginOverHttp(run: LoginRun, timeoutMs = run.stepTimeoutMs): Promise<Session> {
  const session = await login(run.target, run.secrets, timeoutMs);
  run.secret(session.accessToken);
  run.secret(session.refreshToken);
  return session;
}

async function login(target: Target, secrets: TargetSecrets, timeoutMs: number): Promise<Session> {
  const form = target.login === 'form';
  const path = form ? '/auth/login' : '/auth/e2e/test-auth';
  if (form && secrets.password === undefined) throw new JourneyFailure('monitor_error', 'form login needs a password (GPMON_PASSWORD)');
  if (!form && secrets.bypassKey === undefined) throw new JourneyFailure('monitor_error', 'bypass login needs a key (GPMON_BYPASS_KEY)');
  const answer = await callJson(`${target.authUrl}${path}`, {
    method: 'POST',
    headers: form ? {} : { 'X-E2E-Bypass-Key': secrets.bypassKey ?? '' },
    body: form ? { email: target.email, password: secrets.password } : { email: target.email, name: 'gpmon synthetic monitor' },
    timeoutMs,
  });
  if (answer.status === 401 || answer.status === 403) {
    throw new JourneyFailure('auth_rejected', `${path} answered ${answer.status}: ${detailOf(answer.body)}`, httpEvidence(path, answer));
  }
  if (answer.status >= 500) {
    throw new JourneyFailure('auth_unavailable', `${path} answered ${answer.status}: ${detailOf(answer.body)}`, httpEvidence(path, answer));
  }
  if (answer.status !== 200) {
    throw new JourneyFailure('http_error', `${path} answered ${answer.status}: ${detailOf(answer.body)}`, httpEvidence(path, answer));
  }
  return sessionFrom(answer.body, path);
}

export function sessionFrom(body: unknown, path: string): Session {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const user = (typeof b.user === 'object' && b.user !== null ? b.user : {}) as Record<string, unknown>;
  const access = b.access_token;
  if (typeof access !== 'string' || access === '') {
    throw new JourneyFailure('http_error', `${path} answered 200 without an access_token`, { path, status: 200 });
  }
  const claims = jwtClaims(access);
  const userId = typeof claims.sub === 'string' ? claims.sub : typeof user.id === 'string' ? user.id : '';
  return {
    accessToken: access,
    refreshToken: typeof b.refresh_token === 'string' ? b.refresh_token : '',
    userId,
    email: typeof user.email === 'string' ? user.email : typeof claims.email === 'string' ? claims.email : '',
  };
}

/** Claims of a JWT, unverified: the monitor reads who it is, the server decides if it is valid. */
export function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (payload === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The subprotocol a browser offers for a token: `jwt.` + base64url, no `=` padding (contract §4). */
export function tokenSubprotocol(token: string): string {
  return `jwt.${Buffer.from(token, 'utf8').toString('base64url')}`;
}
