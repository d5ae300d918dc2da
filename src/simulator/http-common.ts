import { timingSafeEqual, createHash } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';

/** FastAPI-style JSON for unknown routes, as the platform's services answer. */
export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ detail: `Not Found: ${req.method} ${req.path}` });
};

/** Bad bodies get a 400 that says what is wrong; nothing answers with a stack trace. */
export const jsonErrors: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.parse.failed') {
    res.status(400).json({ detail: 'Request body is not valid JSON' });
    return;
  }
  if (type === 'entity.too.large') {
    res.status(413).json({ detail: 'Request body is too large' });
    return;
  }
  res.status(500).json({ detail: 'Internal Server Error' });
};

export function delay(ms: number): Promise<void> {
  return ms > 0 ? sleep(ms) : Promise.resolve();
}

/** Compares secrets in constant time, whatever their lengths. */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
