import express, { type Express, type Request, type Response } from 'express';
import type { SimulatorState } from './state.js';
import type { TokenIssuer, SimUser } from './tokens.js';
import { bearerToken, delay, jsonErrors, notFound, secretEquals } from './http-common.js';

export interface AuthDeps {
  readonly state: SimulatorState;
  readonly issuer: TokenIssuer;
  readonly account: { readonly email: string; readonly password: string; readonly user: SimUser };
  readonly bypassKey: string;
  readonly appOrigin: string;
  readonly version: string;
}

/** The session cookie a login sets (the contract's clients use the tokens; the cookie is there as real platforms set one). */
export const SESSION_COOKIE = 'gp_session';

/** The auth service of contract §2, on its own origin, answering CORS for the app origin. */
export function createAuthApp(deps: AuthDeps): Express {
  const { state, issuer, account } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Token-bearing answers are never cached, so a browser always sees the CORS headers of now.
  app.set('etag', false);
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  // Arrival to answer of a login, on the server's clock (body parsing included): the ground truth of the login phase.
  app.use(['/auth/login', '/auth/e2e/test-auth'], (_req, res, next) => {
    const arrived = performance.now();
    res.once('finish', () => {
      state.observed.login = performance.now() - arrived;
    });
    next();
  });

  app.use((req, res, next) => {
    if (state.fault('auth_down') !== undefined) {
      // Down behind its load balancer: no CORS, just 503.
      res.status(503).json(
        req.path === '/health'
          ? { status: 'unhealthy', reason: 'database connection failed' }
          : { detail: 'Service Unavailable' },
      );
      return;
    }
    next();
  });

  app.use((req, res, next) => {
    const origin = req.headers.origin;
    if (origin === deps.appOrigin && state.fault('cors_broken') === undefined) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      if (res.hasHeader('Access-Control-Allow-Origin')) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-E2E-Bypass-Key');
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.status(204).end();
      return;
    }
    next();
  });

  app.use(express.json({ limit: '64kb' }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'healthy', service: 'auth-service', version: deps.version, database_status: 'connected' });
  });

  app.get('/auth/config', (_req, res) => {
    res.json({
      development_mode: state.loginForm,
      oauth_enabled: true,
      google_client_id: 'simulator-oauth-client',
      endpoints: { login: '/auth/login', refresh: '/auth/refresh', me: '/auth/me' },
    });
  });

  app.post('/auth/login', async (req, res) => {
    const missing = missingFields(req.body, ['email', 'password']);
    if (missing.length > 0) {
      unprocessable(res, missing);
      return;
    }
    const { email, password } = req.body as { email: string; password: string };
    await delay(state.delay('login'));
    const matches = email.toLowerCase() === account.email.toLowerCase() && secretEquals(password, account.password);
    if (!matches || state.fault('login_rejected') !== undefined) {
      res.status(401).json({ detail: 'Invalid credentials' });
      return;
    }
    res.cookie(SESSION_COOKIE, issuer.sessionCookie(), { httpOnly: true, sameSite: 'lax', path: '/' });
    answerStalled(res, await issuer.issue(account.user), state.fault('login_stall')?.mode);
  });

  app.post('/auth/e2e/test-auth', async (req, res) => {
    const key = req.header('x-e2e-bypass-key');
    if (key === undefined || key === '') {
      res.status(401).json({ detail: 'E2E bypass key required' });
      return;
    }
    const body: unknown = req.body ?? {};
    const email = isRecord(body) && typeof body.email === 'string' && body.email.includes('@') ? body.email : account.email;
    await delay(state.delay('login'));
    if (!secretEquals(key, deps.bypassKey) || state.fault('login_rejected') !== undefined) {
      res.status(401).json({ detail: 'Invalid E2E bypass key' });
      return;
    }
    const localPart = email.slice(0, email.indexOf('@'));
    res.cookie(SESSION_COOKIE, issuer.sessionCookie(), { httpOnly: true, sameSite: 'lax', path: '/' });
    answerStalled(res, await issuer.issue({ id: `e2e-${localPart}`, email }), state.fault('login_stall')?.mode);
  });

  app.post('/auth/refresh', async (req, res) => {
    // The platform reads the token under any of three names (contract §8, "token refresh").
    const body: unknown = req.body ?? {};
    const given = isRecord(body) ? [body.refresh_token, body.refreshToken, body.token].find((v) => typeof v === 'string' && v !== '') : undefined;
    if (typeof given !== 'string') {
      unprocessable(res, ['refresh_token']);
      return;
    }
    await delay(state.delay('login'));
    // refresh_rejected: the refresh path refuses a token it handed out itself.
    const pair = state.fault('refresh_rejected') === undefined ? await issuer.refresh(given, state.rotateRefreshTokens) : undefined;
    if (pair === undefined) {
      res.status(401).json({ detail: 'Invalid refresh token' });
      return;
    }
    res.json(pair);
  });

  app.get('/auth/me', async (req: Request, res: Response) => {
    const token = bearerToken(req.header('authorization'));
    const verified = token === undefined ? undefined : await issuer.verifyAccess(token);
    if (verified?.ok !== true) {
      res.status(401).json({ detail: 'Invalid or expired token' });
      return;
    }
    answerStalled(res, { user_id: verified.user.id, email: verified.user.email }, state.fault('me_stall')?.mode);
  });

  app.use(notFound);
  app.use(jsonErrors);
  return app;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function missingFields(body: unknown, fields: readonly string[]): string[] {
  if (!isRecord(body)) return [...fields];
  return fields.filter((field) => typeof body[field] !== 'string' || body[field] === '');
}

function unprocessable(res: Response, fields: readonly string[]): void {
  res.status(422).json({
    detail: fields.map((field) => ({ loc: ['body', field], msg: 'Field required', type: 'missing' })),
  });
}

/**
 * An answer; under `login_stall` (the logins) or `me_stall` (the session check), 200 and its headers (the length
 * included) at once, then the body never (`stall`) or a byte a second
 * (`drip`), until the client gives up.
 */
function answerStalled(res: Response, body: unknown, stall: 'stall' | 'drip' | undefined): void {
  if (stall === undefined) {
    res.json(body);
    return;
  }
  const text = Buffer.from(JSON.stringify(body), 'utf8');
  res.status(200);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(text.length));
  res.flushHeaders();
  if (stall === 'stall') return;
  let sent = 0;
  const drip = setInterval(() => {
    if (sent >= text.length) {
      clearInterval(drip);
      res.end();
      return;
    }
    res.write(text.subarray(sent, sent + 1));
    sent += 1;
  }, 1000);
  res.once('close', () => {
    clearInterval(drip);
  });
}
