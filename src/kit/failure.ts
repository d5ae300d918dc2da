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
  const assertion = /^expect\((locator|page|received)\)\.\w+\(.*\)( failed)?/.exec(firstLine);
  if (assertion !== null) {
    const detail = message.split('\n').filter((line) => /^(Locator|Expected|Expected pattern|Expected string|Received|Received string|Timeout):/.test(line.trim())).slice(0, 4);
    const text = [assertion[0], ...detail.map((line) => line.trim())].join('; ');
    return new JourneyFailure(assertion[1] === 'received' ? 'response_mismatch' : 'ui', text, { assertion: assertion[0] });
  }
  // Playwright's own timeouts name their budget. A navigation that did not finish is the app server's (or its
  // assets') slowness; an action or a locator that timed out on a loaded page is the page not showing what a user needs.
  if (/Timeout \d+(\.\d+)?ms exceeded/.test(message)) {
    if (/^(page|frame)\.(goto|reload|goBack|goForward|waitForNavigation|waitForLoadState):/.test(firstLine)) {
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
