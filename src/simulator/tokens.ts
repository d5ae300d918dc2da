import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

export const TOKEN_ISSUER = 'netra-auth-service';
export const TOKEN_AUDIENCE = 'netra-platform';
/** The platform answers a constant expires_in that can disagree with exp (contract §2). */
export const ADVERTISED_EXPIRES_IN = 3600;

export interface SimUser {
  readonly id: string;
  readonly email: string;
}

export interface TokenPair {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly user: SimUser;
}

/** A verified access token's user, and whether the refresh path minted it (its permission list is empty). */
export type Verified = { ok: true; user: SimUser; refreshed: boolean } | { ok: false; reason: string };

/** What a login's access token may do; the platform's refresh service mints its tokens with none (contract §8, "token refresh"). */
export const LOGIN_PERMISSIONS = ['chat', 'agent:run', 'threads:read'] as const;

/** Refresh tokens kept at most: the oldest is forgotten first, for a simulator that runs for weeks with a login every few seconds. */
const MAX_REFRESH_TOKENS = 10_000;

/**
 * Issues and checks the auth service's tokens: HS256 access JWTs and opaque
 * refresh tokens. As the platform's refresh service does, a refresh hands back
 * the same refresh token and an access token with an empty permission list
 * (or, rotating, a new refresh token, the old one refused from then on).
 */
export class TokenIssuer {
  private readonly key: Uint8Array;
  private readonly refreshTokens = new Map<string, SimUser>();
  /** Every token handed out, newest last (bounded): tests scan a run's output for them. */
  readonly issued: string[] = [];
  constructor(private readonly accessTtlSeconds: number) {
    this.key = randomBytes(32);
  }

  async issue(user: SimUser): Promise<TokenPair> {
    const refresh = randomBytes(32).toString('base64url');
    this.keepRefresh(refresh, user);
    return this.pair(user, await this.access(user, [...LOGIN_PERMISSIONS]), refresh);
  }

  private keepRefresh(token: string, user: SimUser): void {
    this.refreshTokens.set(token, user);
    if (this.refreshTokens.size > MAX_REFRESH_TOKENS) {
      const oldest = this.refreshTokens.keys().next().value;
      if (oldest !== undefined) this.refreshTokens.delete(oldest);
    }
  }

  private pair(user: SimUser, access: string, refresh: string): TokenPair {
    this.issued.push(access, refresh);
    if (this.issued.length > 1000) this.issued.splice(0, this.issued.length - 1000);
    return { access_token: access, refresh_token: refresh, token_type: 'Bearer', expires_in: ADVERTISED_EXPIRES_IN, user };
  }

  private async access(user: SimUser, permissions: string[]): Promise<string> {
    return new SignJWT({ email: user.email, type: 'access', permissions })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + this.accessTtlSeconds)
      .setJti(randomUUID())
      .sign(this.key);
  }

  /**
   * An opaque session id for a `Set-Cookie` at login, as many platforms send
   * beside the tokens: a credential with no shape, which no artifact may keep.
   */
  sessionCookie(): string {
    const value = randomBytes(24).toString('base64url');
    this.issued.push(value);
    return value;
  }

  /**
   * A new access token for a known refresh token (undefined for an unknown
   * one): minted by the refresh path, with an empty permission list, beside
   * the same refresh token, or with `rotate` a new one (the old refused from then on).
   */
  async refresh(refreshToken: string, rotate = false): Promise<TokenPair | undefined> {
    const user = this.refreshTokens.get(refreshToken);
    if (user === undefined) return undefined;
    let refresh = refreshToken;
    if (rotate) {
      this.refreshTokens.delete(refreshToken);
      refresh = randomBytes(32).toString('base64url');
      this.keepRefresh(refresh, user);
    }
    return this.pair(user, await this.access(user, []), refresh);
  }

  async verifyAccess(token: string): Promise<Verified> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        algorithms: ['HS256'],
      });
      if (payload.type !== 'access') return { ok: false, reason: 'not an access token' };
      if (typeof payload.sub !== 'string' || typeof payload.email !== 'string') {
        return { ok: false, reason: 'token lacks sub or email' };
      }
      const permissions = Array.isArray(payload.permissions) ? payload.permissions : [];
      return { ok: true, user: { id: payload.sub, email: payload.email }, refreshed: permissions.length === 0 };
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }
}
