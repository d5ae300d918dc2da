import { writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import type { JourneyRun } from '../kit/journey-run.js';
import { EventCollector } from '../kit/event-collector.js';
import { PageProbe, normalise } from '../kit/page-probe.js';
import { loginInBrowser, type BrowserSession } from '../kit/browser-login.js';
import { browserHandshakeFailure, noSocketFailure } from '../kit/browser-socket.js';
import { agentRequestVerdict, answerVerdict, connectVerdict, liveEventsVerdict } from '../kit/golden-path-checks.js';
import { readTargetInfo } from '../kit/target-info.js';
import { JourneyFailure, classify, fail } from '../kit/failure.js';
import { excerpt } from '../kit/answer.js';
import { shortProtocol } from '../kit/ws-client.js';
import { raceTimeout } from '../time/race-timeout.js';
import { stepBudget } from '../kit/step-budget.js';

/**
 * The golden path as a user walks it, in the web app. Live events are read
 * from the page's own WebSocket; every time is taken inside the page (see
 * PageProbe), so Playwright's relay delay never enters a measurement.
 */
export async function goldenPath(page: Page, run: JourneyRun): Promise<void> {
  const { target, stepTimeoutMs: timeout } = run;
  const locators = target.locators;
  const probe = await PageProbe.install(page, run);
  // Every Playwright action times out on a page that froze: that is the page's timeout, not a missing element.
  // A page that answers but waits on a call the target never finished (an API or auth call, an asset) is that call's
  // timeout at this step: the target hung, the page did not break (design.md). A call of the last second is no cause.
  run.refine(async (failure) => {
    if (failure.reason !== 'ui') return failure;
    if (!(await probe.responsive())) return probe.frozenFailure(undefined, failure.detail);
    const stalled = probe.stalledCall(timeout);
    return stalled === undefined ? failure : probe.stalledFailure(stalled, timeout);
  });
  await readTargetInfo(run);
  const collector = new EventCollector();
  const closeState = () => (probe.socket?.close == null ? undefined : probe.socket.close);
  let session: BrowserSession | undefined;
  run.addArtifact('console-errors.json', (path) => {
    writeFileSync(path, run.redactor.text(JSON.stringify({ console: probe.consoleErrors, page: probe.pageErrors, websocket: probe.socketErrors }, null, 2)));
  });

  try {
    await run.step('login', async (step) => {
      const started = run.clock();
      session = await loginInBrowser(page, run, probe);
      step.measured(run.clock() - started);
    });

    await run.step('connect', async (step) => {
      if (session === undefined) return fail('monitor_error', 'no session after login');
      const left = stepBudget(timeout);
      const opened = await probe.waitFor(collector, () => probe.socket !== undefined, left());
      const socket = probe.socket;
      if (opened === 'timeout' || socket === undefined) throw noSocketFailure(probe, timeout);
      await probe.waitFor(collector, () => collector.established !== undefined || collector.error !== undefined, left());
      const current = probe.socket ?? socket;
      if (current.openAt === null) {
        // Within the step's time: the error, if any, trails the close by a few ms.
        await probe.settleSocketError(Math.min(500, left()));
        throw browserHandshakeFailure(current, probe, timeout);
      }
      const selected = current.protocol ?? '';
      // The page may offer several values; the server must echo one of them.
      const offered = current.offered.includes(selected) ? selected : current.offered.join(', ');
      const at = connectVerdict(collector, closeState(), { offered, selected, userId: session.userId, timeoutMs: timeout });
      run.mark('subprotocol', { offered: shortProtocol(offered), selected: shortProtocol(current.protocol ?? '') });
      step.measured(at - run.fromEpoch(current.createdAt));
    });

    await run.step('agent_request', async (step) => {
      const left = stepBudget(timeout);
      // An action that cannot happen fails in seconds, not after the whole step's time.
      const actionTimeout = () => Math.min(left(), 5000);
      await page.locator(locators.messageInput).fill(run.inputs.prompt, { timeout: actionTimeout() });
      await page.locator(locators.sendButton).click({ timeout: actionTimeout() });
      await probe.waitFor(collector, () => collector.requestSentAt !== undefined, actionTimeout());
      const sentAt = collector.requestSentAt;
      if (sentAt === undefined) fail('ui', 'the page did not send the request over its WebSocket after Send was clicked', { pageErrors: probe.pageErrors.slice(0, 3) });
      await probe.waitFor(collector, () => collector.firstAt('agent_started') !== undefined || collector.error !== undefined || collector.completed, left());
      step.measured(agentRequestVerdict(collector, closeState(), timeout) - sentAt);
    });

    await run.step('live_events', async (step) => {
      await probe.waitFor(collector, () => collector.completed || collector.error !== undefined, timeout);
      const completedAt = liveEventsVerdict(collector, closeState(), timeout);
      step.measured(completedAt - (collector.firstAt('agent_started') ?? completedAt));
    });

    await run.step('ai_response', async (step) => {
      const answer = answerVerdict(collector, run.inputs);
      const completedAt = collector.firstAt('agent_completed') ?? run.clock();
      const snippet = normalise(answer).slice(0, 60);
      const shown = page.locator(locators.assistantMessage).filter({ hasText: snippet });
      const left = stepBudget(timeout);
      try {
        await shown.first().waitFor({ state: 'visible', timeout: left() });
      } catch (error) {
        const classified = classify(error);
        if (classified.reason !== 'ui') throw classified;
        // Evidence only: a page that does not answer in a second leaves it out.
        const cards = await raceTimeout(page.locator(locators.assistantMessage).allTextContents().catch(() => []), 1000, []);
        throw new JourneyFailure('ui', 'the answer arrived over the WebSocket but is not shown in the page', {
          answer: excerpt(answer),
          lastCards: cards.slice(-3).map((card) => excerpt(card, 80)),
        });
      }
      // The DOM log has the page's time of the text's arrival; failing that (the text split
      // across nodes), the page's clock now is an upper bound, and says so.
      const logged = await probe.appearedAt(snippet);
      const renderedAt = logged ?? (await probe.pageNow(left()));
      if (logged === undefined) run.mark('renderLagUpperBound', true);
      run.mark('answer', { chars: answer.length, excerpt: excerpt(answer) });
      run.mark('renderLagMs', renderedAt - completedAt);
      step.measured(renderedAt - completedAt);
    });
  } finally {
    run.mark('eventLatencyMs', collector.latencies());
    run.mark('maxGapMs', collector.maxGapMs);
    // Frames that are not JSON objects with a type are ignored, but never silently.
    if (collector.unparsable > 0) run.mark('unparsableFrames', collector.unparsable);
    if (probe.socketsSeen > 1) run.mark('pageSockets', probe.socketsSeen);
    await probe.transcribe();
  }
}
