import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JourneyFailure } from '../../src/kit/failure.js';
import { MAX_BODY_BYTES, callJson, fetchFailure } from '../../src/kit/http.js';

/** A journey's HTTP call names what the wire showed: a runaway body, a connection that timed out, a host that is not there. */
describe('callJson', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/huge') {
        // Never ends by itself: the monitor must stop reading at its cap, not fill its memory.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = () => {
          while (res.write(chunk)) if (res.destroyed) return;
        };
        res.on('drain', pump);
        pump();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('reads a normal answer', async () => {
    const answer = await callJson(`${base}/ok`, { timeoutMs: 2000 });
    assert.deepEqual([answer.status, answer.body], [200, { ok: true }]);
  });

  it(`a body over ${MAX_BODY_BYTES} bytes is the target's http_error, with its status and what arrived, and reading stops`, async () => {
    const failure = await callJson(`${base}/huge`, { timeoutMs: 10_000 }).then(
      () => assert.fail('a runaway body must fail'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof JourneyFailure, String(failure));
    assert.equal(failure.reason, 'http_error');
    assert.equal(failure.evidence.status, 200);
    assert.equal(failure.evidence.path, '/huge');
    assert.ok(Number(failure.evidence.bytesReceived) > MAX_BODY_BYTES && Number(failure.evidence.bytesReceived) < MAX_BODY_BYTES * 2);
  });
});

describe('fetchFailure', () => {
  const url = 'http://127.0.0.1:9/auth/login';
  const failed = (code: string, message: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });

  it("the call's own deadline is a timeout", () => {
    const error = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    assert.equal(fetchFailure(error, url, 3000).reason, 'timeout');
  });
  it("undici's connect timeout (the host never answered the connection) is a timeout, not network", () => {
    const failure = fetchFailure(failed('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error'), url, 30_000);
    assert.equal(failure.reason, 'timeout');
    assert.equal(failure.evidence.error, 'UND_ERR_CONNECT_TIMEOUT');
  });
  it('a refused connection and a name that does not resolve are network', () => {
    assert.equal(fetchFailure(failed('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'), url, 3000).reason, 'network');
    assert.equal(fetchFailure(failed('ENOTFOUND', 'getaddrinfo ENOTFOUND staging.invalid'), url, 3000).reason, 'network');
  });
});
