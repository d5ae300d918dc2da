import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from '@playwright/test';

/**
 * Runs the client code paths a journey will time (fetch with a JSON body, a
 * ws handshake with a subprotocol, a frame each way) once against a throwaway
 * server on loopback, before the go. A fresh process compiles these paths on
 * first use, tens of ms that belong to the monitor, not to the target; this
 * moves them out of the measurement without sending anything to the target.
 */
export async function warmUp(): Promise<void> {
  const server = await startWarmUpServer();
  try {
    for (let i = 0; i < 3; i++) {
      const post = await fetch(`${server.origin}/warm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ warm: i }),
        signal: AbortSignal.timeout(2000),
      });
      await post.text();
      const socket = new WebSocket(`${server.wsOrigin}/ws`, ['jwt.d2FybQ'], { perMessageDeflate: false });
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => {
          socket.send(JSON.stringify({ type: 'ping' }));
        });
        socket.once('message', () => {
          socket.close();
          resolve();
        });
        socket.once('error', reject);
      });
    }
  } catch {
    // A warm-up that fails costs accuracy, never the run.
  } finally {
    server.close();
  }
  // The runner and worker are still busy for a moment after loading (seen: +30 ms on
  // the first timed call right after, +10 ms from 0.5 s on, on 2 cores): let them settle.
  // A child loaded ahead of its tick waits anyway; only a cold run pays this.
  await sleep(SETTLE_MS);
}

const SETTLE_MS = 600;

/**
 * The same for a browser launched for this run: a throwaway context loads a
 * page from a throwaway loopback server that posts JSON and opens a
 * WebSocket with a subprotocol, three times, then closes. A Chromium just
 * launched is still starting its network service, renderer and fonts: seen
 * here as +40 to +65 ms on the first handshake the page times (2 cores),
 * against +15 to +30 ms once it has settled. Nothing reaches the target,
 * and nothing of the warm-up reaches a run's artifacts: its page is closed
 * before its context (see below).
 */
export async function warmBrowser(browser: Browser): Promise<void> {
  const server = await startWarmUpServer();
  const context = await browser.newContext().catch(() => undefined);
  let page: Page | undefined;
  try {
    if (context === undefined) return;
    page = await context.newPage();
    await page.goto(`${server.origin}/warm.html`, { timeout: 5000 });
    await page.waitForFunction(() => document.title === 'warm', null, { timeout: 5000 });
  } catch {
    // As above: accuracy, never the run.
  } finally {
    // The page first: Playwright's test runner, as any context closes, photographs each of its open pages
    // (screenshot: 'only-on-failure', kept if the test fails) and may snapshot the first (error-context.md),
    // for the test whose fixtures are being set up. The warm-up runs inside the first test of every worker, and
    // a worker is replaced after each failed test, so a failed run's evidence showed the blank warm-up page.
    // A context with no page left has nothing to photograph.
    await page?.close().catch(() => undefined);
    await context?.close().catch(() => undefined);
    server.close();
  }
}

const WARM_PAGE = `<!doctype html><title>warming</title><body><p>gpmon warm-up</p><script>
(async () => {
  for (let i = 0; i < 3; i++) {
    await (await fetch('/warm', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ warm: i }) })).text();
    await new Promise((resolve) => {
      const ws = new WebSocket('ws://' + location.host + '/ws', ['jwt.d2FybQ']);
      ws.onopen = () => ws.send('{"type":"ping"}');
      ws.onmessage = () => { ws.close(); resolve(); };
      ws.onerror = resolve;
    });
  }
  document.title = 'warm';
})();
</script></body>`;

interface WarmUpServer {
  readonly origin: string;
  readonly wsOrigin: string;
  close(): void;
}

/** A loopback HTTP server (JSON echo, the warm-up page) with a WebSocket echo on /ws that accepts the first subprotocol offered. */
async function startWarmUpServer(): Promise<WarmUpServer> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/warm.html') {
        res.setHeader('content-type', 'text/html');
        res.end(WARM_PAGE);
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  const wss = new WebSocketServer({ server, handleProtocols: (offered) => offered.values().next().value ?? false });
  wss.on('connection', (socket) => {
    socket.on('message', (data: Buffer) => {
      socket.send(data.toString('utf8'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    wsOrigin: `ws://127.0.0.1:${port}`,
    close: () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      server.close();
    },
  };
}
