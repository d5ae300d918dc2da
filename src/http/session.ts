import { Router, type Request, type RequestHandler, type Response } from 'express';
import session from 'express-session';
import createMemoryStore from 'memorystore';
import { csrfSync } from 'csrf-sync';
import { createHash, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Viewer, Views } from './views.js';

/**
 * Signing in to the console: the operator gives the API token once, in a
 * form, and gets a session cookie (HttpOnly, SameSite=Strict, Path=/, an
 * absolute expiry, Secure over https). Every write made with the session
 * carries the session's CSRF token (csrf-sync's synchronizer token): forms
 * as a hidden `_csrf`, fetch calls as `x-csrf-token`. A bearer-token call
 * (`Authorization: Bearer`) involves no cookie and needs no CSRF token.
 *
 * Libraries: express-session (the Express project's own session middleware)
 * with memorystore (an LRU store that prunes expired sessions, unlike
 * express-session's built-in MemoryStore, which leaks); csrf-sync (the
 * synchronizer-token pattern OWASP recommends, small, typed, maintained;
 * csurf is deprecated). Sessions live in memory: a restart signs everyone out,
 * which is fine for an operator console with one shared token.
 */

declare module 'express-session' {
  interface SessionData {
    /** Epoch ms of the sign-in: a session is refused once it is older than its lifetime, whatever the store still holds. */
    signedInAt?: number;
  }
}

/** How a write was authorised: a session in the console, or a bearer token (an API client, CI). */
export type AuthorisedBy = 'console' | 'api';

export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Sessions kept at most (an LRU): only a right token makes one, so this only bounds a token holder's own sign-ins. */
const MAX_SESSIONS = 10_000;
const PRUNE_EVERY_MS = 10 * 60 * 1000;
const COOKIE_NAME = 'gpmon.sid';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface ConsoleAuthOptions {
  /** The API token: what the operator types in, and the root of the session secret (a new token ends old sessions). */
  readonly token: string;
  /** A session's lifetime from sign-in, ms (default 12 h). */
  readonly sessionTtlMs?: number;
  readonly views: Views;
  readonly logger: Logger;
}

/** The console's sign-in, as middleware to mount in order (session, viewer), the route guard, and the /login and /logout routes. */
export interface ConsoleAuth {
  /** express-session: reads the cookie; creates a session only at sign-in. */
  readonly session: RequestHandler;
  /** Sets `res.locals.viewer` (Viewer) on every request: signed in or not, and the CSRF token forms must carry. */
  readonly viewer: RequestHandler;
  /**
   * Lets a request through with a right bearer token, or a signed-in session
   * (plus the session's CSRF token for anything but GET/HEAD/OPTIONS); sets
   * `res.locals.authorisedBy`. Else answers 401 (no or a wrong credential) or
   * 403 (a session write without its CSRF token): JSON under /api/, an HTML
   * page elsewhere.
   */
  readonly requireAuth: RequestHandler;
  /** GET/POST /login and POST /logout. */
  readonly routes: Router;
}

/** Builds the console's sign-in (see the module comment). One per HTTP app: nothing is shared between apps. */
export function createConsoleAuth(options: ConsoleAuthOptions): ConsoleAuth {
  const ttlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const MemoryStore = createMemoryStore(session);
  const sessions = session({
    name: COOKIE_NAME,
    secret: sessionSecret(options.token),
    store: new MemoryStore({ checkPeriod: Math.min(PRUNE_EVERY_MS, ttlMs), max: MAX_SESSIONS }),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    unset: 'destroy',
    // Secure when the request came over https: direct TLS, or a TLS-terminating proxy's X-Forwarded-Proto (the usual
    // way to serve the console over https). A client that forges the header only gets a cookie its browser will not
    // keep over plain http: no one else's session is at stake.
    proxy: true,
    cookie: { httpOnly: true, sameSite: 'strict', path: '/', maxAge: ttlMs, secure: 'auto' },
  });
  const csrf = csrfSync({
    // A form posts its token as a field; fetch calls send the header. Never read from a cookie.
    getTokenFromRequest: (req) => {
      const field = (req.body as Record<string, unknown> | undefined)?._csrf;
      if (req.is('application/x-www-form-urlencoded') !== false && typeof field === 'string') return field;
      const header = req.headers['x-csrf-token'];
      return typeof header === 'string' ? header : undefined;
    },
  });

  const signedIn = (req: Request): boolean => {
    const at = req.session.signedInAt;
    return typeof at === 'number' && Date.now() - at < ttlMs;
  };

  const viewer: RequestHandler = (req, res, next) => {
    const view: Viewer = signedIn(req) ? { signedIn: true, csrfToken: csrf.generateToken(req) } : { signedIn: false };
    res.locals.viewer = view;
    next();
  };

  const refuse = (req: Request, res: Response, status: 401 | 403, message: string): void => {
    if (req.path.startsWith('/api/')) {
      res.status(status).json({ error: message });
      return;
    }
    res.status(status).type('html').send(options.views.render('action-error', pageOf(req, res, status === 401 ? 'Sign in needed' : 'Refused'), { status, message, signIn: status === 401 }));
  };

  const requireAuth: RequestHandler = (req, res, next) => {
    const authorization = req.header('authorization');
    if (authorization !== undefined) {
      // A bearer header is judged alone: a wrong one is refused even with a session beside it.
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (match?.[1] === undefined || !sameSecret(match[1], options.token)) {
        refuse(req, res, 401, 'this needs Authorization: Bearer <token> (GPMON_API_TOKEN), or a signed-in session');
        return;
      }
      res.locals.authorisedBy = 'api' satisfies AuthorisedBy;
      next();
      return;
    }
    if (!signedIn(req)) {
      refuse(req, res, 401, 'sign in first (/login, with the API token), or send Authorization: Bearer <token>');
      return;
    }
    if (!SAFE_METHODS.has(req.method) && !csrf.isRequestValid(req)) {
      refuse(req, res, 403, 'the CSRF token is missing or wrong (a form sends _csrf, a fetch call x-csrf-token): reload the page and try again');
      return;
    }
    res.locals.authorisedBy = 'console' satisfies AuthorisedBy;
    next();
  };

  const routes = Router();
  routes.get('/login', (req, res) => {
    const next = safeNext(req.query.next);
    if (signedIn(req)) {
      res.redirect(303, next);
      return;
    }
    res.type('html').send(options.views.render('login', pageOf(req, res, 'Sign in'), { next, error: undefined }));
  });
  routes.post('/login', (req, res, nextHandler) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    const given = typeof body.token === 'string' ? body.token.trim() : '';
    if (given === '' || !sameSecret(given, options.token)) {
      // Nothing of what was typed is logged: it may be a near-miss of the real token.
      options.logger.warn({ path: '/login' }, 'console sign-in refused: wrong token');
      res.status(401).type('html').send(options.views.render('login', pageOf(req, res, 'Sign in'), { next, error: given === '' ? 'Enter the API token.' : 'That is not the API token.' }));
      return;
    }
    // A new session id at sign-in: an id planted before it (session fixation) is worth nothing after.
    req.session.regenerate((error) => {
      if (error !== undefined && error !== null) {
        nextHandler(error);
        return;
      }
      req.session.signedInAt = Date.now();
      csrf.generateToken(req, true);
      req.session.save((saveError) => {
        if (saveError !== undefined && saveError !== null) {
          nextHandler(saveError);
          return;
        }
        options.logger.info({ path: '/login' }, 'console sign-in');
        res.redirect(303, next);
      });
    });
  });
  routes.post('/logout', requireAuth, (req, res, nextHandler) => {
    req.session.destroy((error) => {
      if (error !== undefined && error !== null) {
        nextHandler(error);
        return;
      }
      res.clearCookie(COOKIE_NAME, { path: '/', httpOnly: true, sameSite: 'strict' });
      res.redirect(303, '/');
    });
  });

  return { session: sessions, viewer, requireAuth, routes };
}

/** The page context every console page gets (views.ts's PageContext), from the request. */
export function pageOf(req: Request, res: Response, title: string): { title: string; viewer: Viewer; path: string } {
  const viewer = (res.locals.viewer as Viewer | undefined) ?? { signedIn: false };
  return { title, viewer, path: returnPath(req) };
}

/**
 * The page to come back to after signing in from this request: the request's own address for a page (GET), and for
 * a form post (which has no page of its own to come back to) the page it was posted from, when that is this server's
 * (the Referer, same origin, its path and query), else the overview.
 */
function returnPath(req: Request): string {
  if (req.method === 'GET' || req.method === 'HEAD') return req.originalUrl.slice(0, 512);
  const referer = req.header('referer');
  if (referer === undefined) return '/';
  try {
    const from = new URL(referer);
    if (from.host !== req.headers.host) return '/';
    return safeNext(`${from.pathname}${from.search}`);
  } catch {
    return '/';
  }
}

/**
 * Where sign-in may send the operator back to: a path on this server only.
 * Anything else (`//host`, `http:`, a backslash that browsers read as a
 * slash, control characters, an over-long value) becomes `/`: no open redirect.
 */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) return '/';
  if (!value.startsWith('/') || value.startsWith('//')) return '/';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return '/';
  return value;
}

/**
 * The session cookie's signing secret, derived from the API token with HKDF
 * (SHA-256): the token itself never signs anything, and a new token makes
 * every cookie signed with the old one worthless.
 */
export function sessionSecret(token: string): string {
  return Buffer.from(hkdfSync('sha256', token, 'gpmon', 'gpmon console session cookie', 32)).toString('base64url');
}

/** Compares a given credential with the expected one in constant time (hashes first: equal lengths whatever was given). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
