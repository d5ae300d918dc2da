import { journey, step, expect } from '@elastic/synthetics';

/**
 * The golden path as a user walks it, written for @elastic/synthetics: the
 * peer of gpmon's journeys/golden-path.spec.ts in the side-by-side benchmark.
 * It uses the page's own UI as gpmon's journey does (the development password
 * form, the chat's textarea and Send button, the assistant's card), and fails
 * when the answer card does not come or its text does not match the expected
 * answer. It does not time the critical events one by one: elastic sees only
 * the page, step by step.
 *
 * Parameters, through elastic's `params` (`--params '{"appUrl":…}'`):
 * appUrl, username, password, prompt, expectedAnswer (a RegExp source), and
 * optionally answerTimeoutMs (default 15000).
 *
 * Locators are the contract's defaults (golden-path-contract.md §6).
 */

const LOCATORS = {
  email: 'input[placeholder="Email"]',
  password: 'input[placeholder="Password"]',
  loginButton: 'button:has-text("Login with Custom Credentials")',
  messageInput: '[data-testid="message-textarea"]',
  sendButton: '[data-testid="send-button"]',
  message: '[role="article"]',
} as const;

/** A string param, or a failure naming the one that is missing. */
function text(params: Record<string, unknown>, name: string): string {
  const value = params[name];
  if (typeof value !== 'string' || value === '') throw new Error(`param ${name} is missing (pass it with --params)`);
  return value;
}

/**
 * A step whose body is async. Elastic types a step's callback `() => void`,
 * yet awaits the promise it returns (its own examples pass async functions).
 */
function asyncStep(name: string, body: () => Promise<void>): void {
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- elastic's runner awaits the step's promise
  step(name, body);
}

journey('golden-path', ({ page, params }) => {
  const given = params as Record<string, unknown>;
  const appUrl = text(given, 'appUrl').replace(/\/+$/, '');
  const username = text(given, 'username');
  const password = text(given, 'password');
  const prompt = text(given, 'prompt');
  const expected = new RegExp(text(given, 'expectedAnswer'));
  const answerTimeoutMs = typeof given['answerTimeoutMs'] === 'number' ? given['answerTimeoutMs'] : 15_000;
  let before = 0;

  asyncStep('login', async () => {
    await page.goto(`${appUrl}/login`);
    await page.locator(LOCATORS.email).fill(username);
    await page.locator(LOCATORS.password).fill(password);
    await page.locator(LOCATORS.loginButton).click();
    await page.waitForURL(/\/chat(\?|#|$)/);
    await page.locator(LOCATORS.messageInput).waitFor({ state: 'visible' });
  });

  asyncStep('send the prompt', async () => {
    before = await page.locator(LOCATORS.message).count();
    // fill() waits until the textarea is enabled: the page enables it once its WebSocket is established.
    await page.locator(LOCATORS.messageInput).fill(prompt);
    await page.locator(LOCATORS.sendButton).click();
    // The page shows the user's own message first.
    await page.locator(LOCATORS.message).nth(before).waitFor({ state: 'visible' });
  });

  asyncStep('answer', async () => {
    // The card after the user's own message is the agent's: its answer, or its error.
    const reply = page.locator(LOCATORS.message).nth(before + 1);
    await reply.waitFor({ state: 'visible', timeout: answerTimeoutMs });
    const answer = (await reply.textContent()) ?? '';
    expect(answer.trim()).toMatch(expected);
  });
});
