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
 * or staging's E2E bypass (as `options.email` when given), within `timeoutMs` (default the run's step
 * timeout). The tokens it gets are registered as the run's secrets before it
 * returns, so no log, record or artifact holds them. A 401/403 is
 * `auth_rejected`, a 5xx `auth_unavailable`, anything else unexpected
 * `http_error`.
 */
export async function loginOverHttp(run: LoginRun, timeoutMs = run.stepTimeoutMs, options: LoginOptions = {}): Promise<Session> {
  const session = await login(run.target, run.secrets, timeoutMs, options.email ?? run.target.email);
  run.secret(session.accessToken);
  run.secret(session.refreshToken);
  return session;
}

/** Who logs in: by default the target's account. */
export interface LoginOptions {
  /**
   * Another user's email, for a journey that needs several users: staging's
   * E2E bypass login issues a user per email; the password login has one
   * account, so a form target logs in as its own whatever is asked.
   */
  readonly email?: string;
}

async function login(target: Target, secrets: TargetSecrets, timeoutMs: number, bypassEmail: string): Promise<Session> {
  const form = target.login === 'form';
  const path = form ? '/auth/login' : '/auth/e2e/test-auth';
  if (form && secrets.password === undefined) throw new JourneyFailure('monitor_error', 'form login needs a password (GPMON_PASSWORD)');
  if (!form && secrets.bypassKey === undefined) throw new JourneyFailure('monitor_error', 'bypass login needs a key (GPMON_BYPASS_KEY)');
  const answer = await callJson(`${target.authUrl}${path}`, {
    method: 'POST',
    headers: form ? {} : { 'X-E2E-Bypass-Key': secrets.bypassKey ?? '' },
    body: form ? { email: target.email, password: secrets.password } : { email: bypassEmail, name: 'gpmon synthetic monitor' },
    timeoutMs,
    caFile: target.caFile,
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

/**
 * Exchanges the session's refresh token for a new access token
 * (`POST {authUrl}/auth/refresh {refresh_token}`, contract §2), within
 * `timeoutMs` (default the run's step timeout); the tokens it gets are
 * registered as the run's secrets before it returns. The answer may hand back
 * the same refresh token (the platform's refresh service does; contract §8),
 * in which case the session keeps it. A 401/403 is `auth_rejected`, a 5xx
 * `auth_unavailable`, anything else unexpected `http_error`.
 */
export async function refreshOverHttp(run: LoginRun, session: Session, timeoutMs = run.stepTimeoutMs): Promise<Session> {
  const path = '/auth/refresh';
  if (session.refreshToken === '') throw new JourneyFailure('http_error', 'the login answered no refresh_token: there is nothing to refresh with', { path });
  const answer = await callJson(`${run.target.authUrl}${path}`, { method: 'POST', body: { refresh_token: session.refreshToken }, timeoutMs, caFile: run.target.caFile });
  if (answer.status === 401 || answer.status === 403) {
    throw new JourneyFailure('auth_rejected', `${path} refused the refresh token the login gave (${answer.status}: ${detailOf(answer.body)})`, httpEvidence(path, answer));
  }
  if (answer.status >= 500) throw new JourneyFailure('auth_unavailable', `${path} answered ${answer.status}: ${detailOf(answer.body)}`, httpEvidence(path, answer));
  if (answer.status !== 200) throw new JourneyFailure('http_error', `${path} answered ${answer.status}: ${detailOf(answer.body)}`, httpEvidence(path, answer));
  const refreshed = sessionFrom(answer.body, path);
  run.secret(refreshed.accessToken);
  run.secret(refreshed.refreshToken);
  return {
    accessToken: refreshed.accessToken,
    refreshToken: refreshed.refreshToken === '' ? session.refreshToken : refreshed.refreshToken,
    userId: refreshed.userId === '' ? session.userId : refreshed.userId,
    email: refreshed.email === '' ? session.email : refreshed.email,
  };
}
