import { stripVTControlCharacters } from 'node:util';
import { FAILURE_REASONS, isFailureReason, type Evidence, type FailureReason } from '../model/reasons.js';

/**
 * A failed check of the target, thrown inside a journey step. The kit's step
 * wrapper reports its reason and evidence to the reporter before Playwright
 * sees the error, so the record names the step, the reason and why.
 */
export class JourneyFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly evidence: Evidence = {},
  ) {
    super(`[${reason}] ${message}`);
    this.name = 'JourneyFailure';
  }

  /** The message without its reason prefix. */
  get detail(): string {
    return this.message.slice(this.reason.length + 3);
  }
}

export function fail(reason: FailureReason, message: string, evidence: Evidence = {}): never {
  throw new JourneyFailure(reason, message, evidence);
}

/**
 * An error the journey code did not classify itself. Playwright's own
 * timeouts on a locator mean the page did not show what a user needs (`ui`);
 * a call's own deadline that passed is `timeout`; a closed page or browser
 * is the monitor's own fault; anything else is a bug in the monitor
 * (`monitor_error`, its cause kept), never blamed on the target.
 */
export function classify(error: unknown): JourneyFailure {
  if (error instanceof JourneyFailure) {
    // Reasons are a bounded set (dashboards and alerts list them): a journey's fail() with another one, from plain
    // JavaScript or a cast, is an authoring error, the monitor's, never a new label value.
    if (isFailureReason(error.reason)) return error;
    return new JourneyFailure('monitor_error', `the journey failed its step with reason ${JSON.stringify(error.reason)}, which is not one of gpmon's reasons (${FAILURE_REASONS.join(', ')}): ${error.detail}`, {
      ...error.evidence,
      givenReason: String(error.reason),
    });
  }
  // Playwright colours its assertion messages even with FORCE_COLOR=0: the rules read them plain.
  const message = stripVTControlCharacters(error instanceof Error ? error.message : String(error));
  const firstLine = message.split('\n')[0] ?? message;
  const name = error instanceof Error ? error.name : '';
  if (/Target page, context or browser has been closed|Browser has been closed|browser has disconnected/i.test(message)) {
    return new JourneyFailure('monitor_error', `browser went away: ${firstLine}`);
  }
  if (/net::ERR_/.test(message)) {
    const code = /net::ERR_[A-Z_]+/.exec(message)?.[0] ?? 'net::ERR';
    // The connection or the request got no answer in time: a target that hangs is its `timeout` (design.md), not `network`.
    if (/^net::ERR_(CONNECTION_)?TIMED_OUT$/.test(code)) return new JourneyFailure('timeout', firstLine, { error: code });
    return new JourneyFailure('network', firstLine, { error: code });
  }
  // An author's assertion (Playwright's expect) that failed: on the page (a locator or the page itself), the page did
  // not show what a user needs (`ui`); on a value (a response, a count, a body), the target answered something else.
  // The matcher line may follow the author's own message (expect(x, 'the cart holds 3')), and may be negated (.not).
  const assertion = /^expect\((\w+)\)(\.not)?\.\w+\(.*?\)(?: failed)?/m.exec(message);
  if (assertion !== null || (error instanceof Error && 'matcherResult' in error)) {
    const lines = message.split('\n').map((line) => line.trim());
    const said = firstLine.trim() !== '' && assertion?.index !== 0 ? [firstLine.trim()] : [];
    const detail = lines.filter((line) => /^(Locator|Expected|Expected pattern|Expected string|Received|Received string|Timeout):/.test(line)).slice(0, 4);
    const text = [...said, assertion?.[0] ?? firstLine, ...detail].join('; ');
    const onPage = assertion?.[1] === 'locator' || assertion?.[1] === 'page' || lines.some((line) => line.startsWith('Locator:'));
    return new JourneyFailure(onPage ? 'ui' : 'response_mismatch', text, { assertion: assertion?.[0] ?? firstLine });
  }
  // A call that could not reach its host (Node's fetch: the cause holds the code; Playwright's request: the message).
  const networkCode = connectionCode(error, message);
  if (networkCode !== undefined) {
    const timedOut = /^(ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT)$/.test(networkCode);
    return new JourneyFailure(timedOut ? 'timeout' : 'network', `${firstLine} (${networkCode})`, { error: networkCode });
  }
  // Playwright's own timeouts name their budget. A navigation that did not finish is the app server's (or its
  // assets') slowness; an action or a locator that timed out on a loaded page is the page not showing what a user needs.
  if (/Timeout \d+(\.\d+)?ms exceeded/.test(message)) {
    if (/^(page|frame)\.(goto|reload|goBack|goForward|waitForNavigation|waitForLoadState):|^apiRequestContext\.\w+:/.test(firstLine)) {
      return new JourneyFailure('timeout', firstLine, { error: firstLine });
    }
    return new JourneyFailure('ui', firstLine);
  }
  // A call's own deadline (AbortSignal.timeout) that the journey did not catch: the target did not answer in time.
  if (name === 'TimeoutError') {
    return new JourneyFailure('timeout', firstLine, { error: firstLine });
  }
  return new JourneyFailure('monitor_error', `${name || 'Error'}: ${firstLine}`, { cause: firstLine });
}

const CONNECTION_CODES = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|UND_ERR_SOCKET|CERT_HAS_EXPIRED|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\b/;

/**
 * The system or undici code of a call that could not reach its host: from
 * Node's fetch (`TypeError: fetch failed`, the code on its cause, or on the
 * first of an AggregateError's), or named in the message (Playwright's
 * request fixture: "apiRequestContext.get: connect ECONNREFUSED …").
 */
function connectionCode(error: unknown, message: string): string | undefined {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; errors?: { code?: unknown }[]; message?: unknown } | undefined) : undefined;
  const fromCause = cause?.code ?? cause?.errors?.[0]?.code;
  if (typeof fromCause === 'string' && CONNECTION_CODES.test(fromCause)) return fromCause;
  const named = CONNECTION_CODES.exec(`${message} ${typeof cause?.message === 'string' ? cause.message : ''}`);
  return named?.[1];
}
