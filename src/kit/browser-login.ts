import type { Page } from '@playwright/test';
import type { JourneyRun } from './journey-run.js';
import type { PageProbe } from './page-probe.js';
import { JourneyFailure, classify } from './failure.js';
import { jwtClaims, loginOverHttp } from './login.js';
import { callJson } from './http.js';
import { stepBudget } from './step-budget.js';

export interface BrowserSession {
  readonly userId: string;
  readonly accessToken: string;
}

interface AuthSignal {
  readonly failure: JourneyFailure;
}

/**
 * Logs the browser in by the target's strategy and waits until the chat page
 * is usable. The password form is filled in the page; staging's way (no form)
 * gets tokens from the bypass login and opens /auth/callback with them. While
 * it waits, the page's calls to the auth origin are watched, so a rejection,
 * an outage or CORS is named at once rather than after a timeout.
 */
export async function loginInBrowser(page: Page, run: JourneyRun, probe: PageProbe): Promise<BrowserSession> {
  const { target, secrets } = run;
  const locators = target.locators;
  const timeout = run.stepTimeoutMs;
  let signal: AuthSignal | undefined;
  let wake: () => void = () => undefined;
  const woken = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const raise = (failure: JourneyFailure) => {
    signal ??= { failure };
    wake();
  };
  const onResponse = (response: { url(): string; status(): number }) => {
    const url = response.url();
    if (!url.startsWith(target.authUrl)) return;
    const path = new URL(url).pathname;
    const status = response.status();
    if (status === 401 || status === 403) raise(new JourneyFailure('auth_rejected', `the page's ${path} answered ${status}`, { path, status }));
    else if (status >= 500) raise(new JourneyFailure('auth_unavailable', `the page's ${path} answered ${status}`, { path, status }));
  };
  const onConsole = (message: { type(): string; text(): string }) => {
    if (message.type() === 'error' && /CORS policy/i.test(message.text())) {
      raise(new JourneyFailure('network', 'a call from the app to the auth origin was blocked by CORS', { consoleError: message.text().slice(0, 300), appOrigin: target.appUrl }));
    }
  };
  page.on('response', onResponse);
  page.on('console', onConsole);
  // The step's calls and waits share its time: the login ends at its step timeout, not at a multiple of it.
  const left = stepBudget(timeout);
  try {
    if (target.login === 'form') {
      if (secrets.password === undefined) throw new JourneyFailure('monitor_error', 'form login needs a password (GPMON_PASSWORD)');
      await page.goto(`${target.appUrl}/login`, { timeout: left() });
      // A form that cannot be filled fails in seconds, not after the whole step's time.
      const formTimeout = () => Math.min(left(), 5000);
      await page.locator(locators.email).fill(target.email, { timeout: formTimeout() });
      await page.locator(locators.password).fill(secrets.password, { timeout: formTimeout() });
      await page.locator(locators.loginButton).click({ timeout: formTimeout() });
    } else {
      const session = await loginOverHttp(run, left());
      const query = new URLSearchParams({ access_token: session.accessToken, refresh_token: session.refreshToken });
      await page.goto(`${target.appUrl}/auth/callback?${query.toString()}`, { timeout: left() });
    }
    const usable = page
      .locator(locators.messageInput)
      .waitFor({ state: 'visible', timeout: left() })
      .then(() => page.waitForURL(/\/chat(\?|#|$)/, { timeout: Math.min(left(), 1000) }));
    await Promise.race([usable, woken]);
    if (signal !== undefined) throw await diagnose(signal.failure, run);
  } catch (error) {
    if (signal !== undefined) throw await diagnose(signal.failure, run);
    const classified = classify(error);
    // Only a page that did not show what a user needs is `ui`; a crash or a network error keeps its own name.
    if (classified.reason !== 'ui') throw classified;
    // A page waiting on the target (no answer, or headers then a stalled body) is that call's timeout, not the page's fault.
    const stalled = probe.stalledCall(timeout);
    if (stalled !== undefined) throw probe.stalledFailure(stalled, timeout);
    const pageErrors = probe.pageErrors.slice(0, 3);
    throw new JourneyFailure('ui', `the chat page was not usable after login (at ${new URL(page.url()).pathname})`, {
      url: new URL(page.url()).pathname,
      pageErrors,
      error: (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '',
    });
  } finally {
    page.off('response', onResponse);
    page.off('console', onConsole);
  }
  const [storedAccess, storedRefresh] = await probe.stored(['jwt_token', 'refresh_token'], left());
  const accessToken = storedAccess ?? '';
  const refreshToken = storedRefresh ?? '';
  run.secret(accessToken);
  run.secret(refreshToken);
  if (accessToken === '') throw new JourneyFailure('ui', 'logged in, but the page stored no jwt_token');
  const sub = jwtClaims(accessToken).sub;
  return { userId: typeof sub === 'string' ? sub : '', accessToken };
}

/**
 * A browser cannot tell a CORS misconfiguration from an auth service that is
 * down behind its load balancer (a 503 without CORS headers looks the same to
 * the page). The monitor can: it asks the auth service's health itself.
 */
async function diagnose(failure: JourneyFailure, run: JourneyRun): Promise<JourneyFailure> {
  if (failure.reason !== 'network') return failure;
  try {
    const health = await callJson(`${run.target.authUrl}/health`, { timeoutMs: Math.min(run.stepTimeoutMs, 3000), caFile: run.target.caFile });
    if (health.status >= 500) {
      return new JourneyFailure('auth_unavailable', `the auth service is down: /health answered ${health.status} (the page saw only a CORS failure)`, { ...failure.evidence, healthStatus: health.status });
    }
    return new JourneyFailure('network', failure.detail, { ...failure.evidence, healthStatus: health.status });
  } catch (error) {
    const reason = error instanceof JourneyFailure ? error.detail : String(error);
    return new JourneyFailure('auth_unavailable', `the auth service is unreachable: ${reason}`, { ...failure.evidence });
  }
}
