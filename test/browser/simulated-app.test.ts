import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumLaunchOptions } from '../../src/browser/chromium.js';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { answerFor } from '../../src/simulator/agent-run.js';
import { admin, postJson, type Tokens } from '../helpers/sim-client.js';

/** The simulated web app in real headless Chromium: what a person (and the browser journey) sees. */

describe('simulated web app in Chromium', () => {
  let sim: Simulator;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    sim = await startSimulator({ latency: { login: 10, agent_start: 20, thinking: 20, tool_start: 20, tool: 20, completion: 20, render: 20 } });
    browser = await chromium.launch(chromiumLaunchOptions());
  });
  after(async () => {
    await browser.close();
    await sim.stop();
  });
  const fresh = async () => {
    context = await browser.newContext();
    page = await context.newPage();
    pageErrors.length = 0;
    page.on('pageerror', (error) => pageErrors.push(error.message));
  };
  afterEach(async () => {
    await context.close();
    await admin(sim.description, 'DELETE', '/faults');
  });

  const loginWithForm = async () => {
    await page.goto(`${sim.description.app}/login`);
    await page.getByPlaceholder('Email').fill(sim.description.email);
    await page.getByPlaceholder('Password').fill(sim.description.password);
    await page.getByRole('button', { name: 'Login with Custom Credentials' }).click();
  };
  const ask = async (text: string) => {
    await page.locator('[data-testid="message-textarea"]').fill(text);
    await page.locator('[data-testid="send-button"]').click();
  };
  const assistant = () => page.locator('[role="article"][data-role="assistant"]');

  it('logs in through the password form, chats, and sees the answer rendered', async () => {
    await fresh();
    await loginWithForm();
    await page.waitForURL(`${sim.description.app}/chat`);
    await page.getByText('connected', { exact: true }).waitFor();
    assert.equal(await page.locator('[data-testid="user-email"]').textContent(), sim.description.email);
    const protocol = await page.evaluate(() => localStorage.getItem('jwt_token'));
    assert.ok(protocol !== null && protocol.split('.').length === 3, 'the access JWT is in localStorage as jwt_token');
    // The indicator shows for the agent's whole run, a few tens of ms here: recorded in the page as it
    // changes, since a poll for it on a loaded machine can come after it is hidden again.
    await page.evaluate(() => {
      const indicator = document.querySelector<HTMLElement>('[data-testid="thinking-indicator"]');
      const seen = window as unknown as { thinkingShown?: boolean };
      seen.thinkingShown = false;
      if (indicator !== null) {
        new MutationObserver(() => {
          if (!indicator.hidden) seen.thinkingShown = true;
        }).observe(indicator, { attributes: true });
      }
    });
    await ask('What is the weather on the golden path?');
    await assistant().waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { thinkingShown?: boolean }).thinkingShown), true, 'the thinking indicator showed while the agent ran');
    assert.equal(await assistant().textContent(), answerFor('What is the weather on the golden path?'));
    assert.equal(await page.locator('[data-testid="thinking-indicator"]').isVisible(), false);
    assert.deepEqual(pageErrors, []);
  });

  it('logs in through /auth/callback with tokens from the bypass login (staging’s way)', async () => {
    await fresh();
    await admin(sim.description, 'PATCH', '/settings', { loginForm: false });
    try {
      await page.goto(`${sim.description.app}/login`);
      await page.getByRole('button', { name: 'Access Beta' }).waitFor();
      assert.equal(await page.getByPlaceholder('Password').count(), 0);
      const { json } = await postJson(`${sim.description.auth}/auth/e2e/test-auth`, { email: 'browser.probe@gpmon.test' }, {
        'X-E2E-Bypass-Key': sim.description.bypassKey,
      });
      const tokens = json as Tokens;
      const query = new URLSearchParams({ access_token: tokens.access_token, refresh_token: tokens.refresh_token });
      await page.goto(`${sim.description.app}/auth/callback?${query.toString()}`);
      await page.waitForURL(`${sim.description.app}/chat`);
      assert.equal(await page.evaluate(() => localStorage.getItem('refresh_token')), tokens.refresh_token);
      await page.getByText('connected', { exact: true }).waitFor();
      assert.equal(await page.locator('[data-testid="user-email"]').textContent(), 'browser.probe@gpmon.test');
      await ask('bypass hello');
      await assistant().waitFor();
      assert.equal(await assistant().textContent(), answerFor('bypass hello'));
    } finally {
      await admin(sim.description, 'PATCH', '/settings', { loginForm: true });
    }
  });

  it("the app's own socket offers jwt.<base64url(token)> and the server echoes it", async () => {
    await fresh();
    // Record what the page's own WebSocket offered and what it negotiated, from inside the page.
    await page.addInitScript(() => {
      const Native = window.WebSocket;
      const seen: { offered: string[]; negotiated: string }[] = [];
      (window as unknown as { __sockets: typeof seen }).__sockets = seen;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          const entry = { offered: ([] as string[]).concat(protocols ?? []), negotiated: '' };
          seen.push(entry);
          this.addEventListener('open', () => {
            entry.negotiated = this.protocol;
          });
        }
      };
    });
    await loginWithForm();
    await page.getByText('connected', { exact: true }).waitFor();
    const [sockets, token] = await page.evaluate(() => [
      (window as unknown as { __sockets: { offered: string[]; negotiated: string }[] }).__sockets,
      localStorage.getItem('jwt_token') ?? '',
    ] as const);
    const expected = `jwt.${Buffer.from(token).toString('base64url')}`;
    assert.deepEqual(sockets, [{ offered: [expected], negotiated: expected }]);
  });

  it('subprotocol_mismatch: the browser fails the connection (1006) and the chat never becomes usable', async () => {
    await fresh();
    await loginWithForm();
    await page.waitForURL(`${sim.description.app}/chat`);
    await admin(sim.description, 'POST', '/faults', { name: 'subprotocol_mismatch' });
    await page.reload();
    await page.getByText('disconnected (1006)').waitFor();
    assert.equal(await page.locator('[data-testid="message-textarea"]').isDisabled(), true);
  });

  it('cors_broken: the login form cannot reach auth from the page', async () => {
    await fresh();
    await admin(sim.description, 'POST', '/faults', { name: 'cors_broken' });
    await loginWithForm();
    await page.getByText('Cannot reach the auth service').waitFor();
    assert.equal(page.url(), `${sim.description.app}/login`);
  });

  it('cors_broken: an already signed-in chat page cannot verify the session', async () => {
    await fresh();
    await loginWithForm();
    await page.getByText('connected', { exact: true }).waitFor();
    await admin(sim.description, 'POST', '/faults', { name: 'cors_broken' });
    await page.reload();
    await page.getByText('session check failed').waitFor();
  });

  it('broken_chat_page (no_send_button): no send button on the chat page', async () => {
    await fresh();
    await admin(sim.description, 'POST', '/faults', { name: 'broken_chat_page', mode: 'no_send_button' });
    await loginWithForm();
    await page.getByText('connected', { exact: true }).waitFor();
    assert.equal(await page.locator('[data-testid="send-button"]').count(), 0);
  });

  it('broken_chat_page (script_error): the page throws, never connects', async () => {
    await fresh();
    await admin(sim.description, 'POST', '/faults', { name: 'broken_chat_page', mode: 'script_error' });
    await loginWithForm();
    await page.waitForURL(`${sim.description.app}/chat`);
    await page.waitForFunction(() => document.readyState === 'complete');
    assert.equal(pageErrors.length, 1, pageErrors.join('; '));
    assert.match(pageErrors[0] ?? '', /__chatBundle|undefined/);
    assert.equal(await page.locator('[data-testid="connection-status"]').textContent(), 'connecting');
  });

  it('answer_not_rendered: the answer arrives over the socket, the card says only "Agent completed."', async () => {
    await fresh();
    await admin(sim.description, 'POST', '/faults', { name: 'answer_not_rendered' });
    const frames: string[] = [];
    page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
    await loginWithForm();
    await page.getByText('connected', { exact: true }).waitFor();
    await ask('render me');
    await assistant().waitFor();
    assert.equal(await assistant().textContent(), 'Agent completed.');
    assert.ok(frames.some((f) => f.includes(answerFor('render me').slice(0, 30))), 'the answer did arrive on the wire');
  });

  it('socket_in_worker: the page works for a user, its socket opened by a Web Worker, not by the page', async () => {
    await fresh();
    await admin(sim.description, 'POST', '/faults', { name: 'socket_in_worker' });
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(worker.url()));
    await loginWithForm();
    await page.getByText('connected', { exact: true }).waitFor();
    await ask('from a worker');
    await assistant().waitFor();
    assert.equal(await assistant().textContent(), answerFor('from a worker'));
    assert.equal(workers.length, 1, 'one worker holds the socket');
  });
});
