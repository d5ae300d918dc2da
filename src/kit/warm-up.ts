import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs the client code paths a journey will time (fetch with a JSON body, a
 * ws handshake with a subprotocol, a frame each way) once against a throwaway
 * server on loopback, before the go. A fresh process compiles these paths on
 * first use, tens of ms that belong to the monitor, not to the target; this
 * moves them out of the measurement without sending anything to the target.
 */
export async function warmUp(): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
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
  try {
    for (let i = 0; i < 3; i++) {
      const post = await fetch(`http://127.0.0.1:${port}/warm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ warm: i }),
        signal: AbortSignal.timeout(2000),
      });
      await post.text();
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['jwt.d2FybQ'], { perMessageDeflate: false });
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
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.closeAllConnections();
    server.close();
  }
  // The runner and worker are still busy for a moment after loading (seen: +30 ms on
  // the first timed call right after, +10 ms from 0.5 s on, on 2 cores): let them settle.
  // A child loaded ahead of its tick waits anyway; only a cold run pays this.
  await sleep(SETTLE_MS);
}

const SETTLE_MS = 600;
