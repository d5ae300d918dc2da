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

export type Verified = { ok: true; user: SimUser } | { ok: false; reason: string };

/** Issues and checks the auth service's tokens: HS256 access JWTs and opaque, rotating refresh tokens. */
export class TokenIssuer {
  private readonly key: Uint8Array;
  private readonly refreshTokens = new Map<string, SimUser>();
  /** Every token handed out, newest last (bounded): tests scan a run's output for them. */
  readonly issued: string[] = [];

  constructor(private readonly accessTtlSeconds: number) {
    this.key = randomBytes(32);
  }

  async issue(user: SimUser): Promise<TokenPair> {
    const access = await new SignJWT({ email: user.email, type: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + this.accessTtlSeconds)
      .setJti(randomUUID())
      .sign(this.key);
    const refresh = randomBytes(32).toString('base64url');
    this.refreshTokens.set(refresh, user);
    this.issued.push(access, refresh);
    if (this.issued.length > 1000) this.issued.splice(0, this.issued.length - 1000);
    return { access_token: access, refresh_token: refresh, token_type: 'Bearer', expires_in: ADVERTISED_EXPIRES_IN, user };
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

  /** One use per refresh token: the old one is gone once exchanged. */
  async refresh(refreshToken: string): Promise<TokenPair | undefined> {
    const user = this.refreshTokens.get(refreshToken);
    if (user === undefined) return undefined;
    this.refreshTokens.delete(refreshToken);
    return this.issue(user);
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
      return { ok: true, user: { id: payload.sub, email: payload.email } };
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }
}
