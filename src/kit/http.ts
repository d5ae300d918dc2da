import type { Dispatcher } from 'undici';
import type { Evidence } from '../model/reasons.js';
import { JourneyFailure } from './failure.js';
import { trustedCas, untrustedCertificateFailure } from './tls.js';

export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly elapsedMs: number;
  /** The answer's headers (CORS checks read them). */
  readonly headers: Headers;
}

/**
 * One HTTP call of a journey, with the failure it means already classified:
 * no answer is `network`, no answer (headers or the whole body) within
 * `timeoutMs` is `timeout`, a body that is not JSON is `http_error`. Callers
 * classify statuses, which mean different things per call. `caFile`: the
 * target's private CA (its `caFile`), trusted beside the system's; a
 * certificate not trusted is `network`, saying so.
 */
export async function callJson(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; timeoutMs: number; caFile?: string | undefined },
): Promise<HttpAnswer> {
  const started = performance.now();
  const dispatcher = init.caFile === undefined ? undefined : await dispatcherFor(init.caFile);
  let response: Response;
  try {
    const request: RequestInit & { dispatcher?: Dispatcher } = {
      method: init.method ?? 'GET',
      headers: { accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(init.timeoutMs),
      ...(dispatcher === undefined ? {} : { dispatcher }),
    };
    response = await fetch(url, request);
  } catch (error) {
    throw fetchFailure(error, url, init.timeoutMs);
  }
  const textBody = await readBody(response, url, init.timeoutMs);
  let body: unknown = textBody;
  if (textBody !== '') {
    try {
      body = JSON.parse(textBody);
    } catch {
      body = textBody.slice(0, 200);
    }
  }
  return { status: response.status, body, elapsedMs: performance.now() - started, headers: response.headers };
}

const dispatchers = new Map<string, { cas: readonly string[]; dispatcher: Promise<Dispatcher> }>();

/**
 * The connection pool of the calls to a target with a private CA: an undici
 * Agent (the library of Node's own fetch, at the version Node bundles) whose
 * connections trust the CA file's CAs beside the system's. One per file, made
 * again when the file changes; undici is loaded only for a target that has one.
 */
function dispatcherFor(caFile: string): Promise<Dispatcher> {
  const cas = trustedCas(caFile);
  const cached = dispatchers.get(caFile);
  if (cached?.cas === cas) return cached.dispatcher;
  const dispatcher = import('undici').then(({ Agent }) => new Agent({ connect: { ca: [...cas] } }));
  dispatchers.set(caFile, { cas, dispatcher });
  if (cached !== undefined) void cached.dispatcher.then((old) => old.close()).catch(() => undefined);
  return dispatcher;
}

/** The most of a body the monitor reads: the contract's answers are a few kilobytes; a runaway body must not fill the runner's memory. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * The body, within the call's time: a server that sends its headers and then
 * stalls, or drips the body, is a `timeout` of this call, with the status and
 * how much had arrived (a count only: a partial body may hold a token).
 */
async function readBody(response: Response, url: string, timeoutMs: number): Promise<string> {
  const chunks: Buffer[] = [];
  let received = 0;
  const path = new URL(url).pathname;
  const evidence = () => ({ url: origin(url), path, status: response.status, contentType: response.headers.get('content-type') ?? '', bytesReceived: received });
  const reader = response.body?.getReader();
  try {
    for (;;) {
      if (reader === undefined) break;
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      received += value.byteLength;
      if (received > MAX_BODY_BYTES) break;
    }
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new JourneyFailure('timeout', `${path} answered ${response.status} but its body did not arrive within ${timeoutMs} ms (${received} bytes so far)`, evidence());
    }
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new JourneyFailure('network', `${path} answered ${response.status}, then the connection failed mid-body: ${cause}`, evidence());
  }
  if (received > MAX_BODY_BYTES) {
    await reader?.cancel().catch(() => undefined);
    throw new JourneyFailure('http_error', `${path} answered ${response.status} with a body over ${MAX_BODY_BYTES} bytes; the monitor stopped reading`, evidence());
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * What a fetch that got no response means: its own deadline, or the
 * connection timing out in undici (its 10 s connect timeout, which can end a
 * call whose step allows longer), is the target's `timeout`; a certificate
 * the client does not trust, and any other failure to reach it, is `network`.
 */
export function fetchFailure(error: unknown, url: string, timeoutMs: number): JourneyFailure {
  const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new JourneyFailure('timeout', `no answer from ${new URL(url).pathname} within ${timeoutMs} ms`, { url: origin(url) });
  }
  const code = error instanceof Error ? (error.cause as { code?: unknown } | undefined)?.code : undefined;
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return new JourneyFailure('timeout', `no answer from ${origin(url)}: the connection timed out (${cause})`, { url: origin(url), error: code });
  }
  const untrusted = untrustedCertificateFailure(error, origin(url));
  if (untrusted !== undefined) return untrusted;
  return new JourneyFailure('network', `cannot reach ${origin(url)}: ${cause}`, { url: origin(url) });
}

function origin(url: string): string {
  return new URL(url).origin;
}

/** The server's own words, for evidence: FastAPI's `detail`, or a short body. */
export function detailOf(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'detail' in body) {
    const detail = body.detail;
    return typeof detail === 'string' ? detail : JSON.stringify(detail).slice(0, 200);
  }
  return typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body).slice(0, 200);
}

export function httpEvidence(path: string, answer: HttpAnswer): Evidence {
  return { path, status: answer.status, detail: detailOf(answer.body) };
}
