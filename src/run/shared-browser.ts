import { chromium, type BrowserServer } from 'playwright-core';
import { chromiumLaunchOptions, type ChromiumLookup } from '../browser/chromium.js';

/**
 * One Chromium for every browser run, started once; runs connect to it
 * (Playwright's connectOptions) instead of paying a browser launch each time.
 * A browser that died is started again on the next ask.
 */
export class SharedBrowser {
  private server: BrowserServer | undefined;
  private starting: Promise<BrowserServer> | undefined;

  constructor(private readonly lookup: ChromiumLookup = {}) {}

  async endpoint(): Promise<string> {
    const server = await this.ensure();
    return server.wsEndpoint();
  }

  private async ensure(): Promise<BrowserServer> {
    const current = this.server;
    if (current !== undefined && current.process().exitCode === null && current.process().signalCode === null) return current;
    this.server = undefined;
    this.starting ??= chromium
      .launchServer({ ...chromiumLaunchOptions(this.lookup), host: '127.0.0.1' })
      .then((server) => {
        this.server = server;
        return server;
      })
      .finally(() => {
        this.starting = undefined;
      });
    return this.starting;
  }

  /** The browser's process id, for tests that check nothing is left behind. */
  pid(): number | undefined {
    return this.server?.process().pid;
  }

  async close(): Promise<void> {
    const server = this.server ?? (await this.starting?.catch(() => undefined));
    this.server = undefined;
    await server?.close();
  }
}
