import type { Evidence } from '../model/reasons.js';
import { JourneyFailure } from './failure.js';
import { urlWithoutSecrets } from '../secrets/url.js';
import type { PageProbe, PageSocket } from './page-probe.js';
import { shortProtocol } from './ws-client.js';

/**
 * Why the page's WebSocket never opened (or is still opening), from what a browser tells: Chromium's
 * handshake error (relayed by Playwright) names a subprotocol the server
 * answered but the page never offered, a missing answer, or a status code.
 */
export function browserHandshakeFailure(socket: PageSocket, probe: PageProbe, timeoutMs: number): JourneyFailure {
  const message = probe.socketErrors.at(-1) ?? '';
  // A relayed socket (a Web Worker's) shows no open: with no frame and no error, whether the upgrade was answered is unknown.
  if (socket.relayed === true && message === '') {
    const where = "it was opened outside the page's scripts (a Web Worker or a frame)";
    if (socket.close === null) {
      return new JourneyFailure('timeout', `no frame arrived on the page's WebSocket in ${timeoutMs} ms; ${where}, so whether the server answered the upgrade is not visible`, {
        url: urlWithoutSecrets(socket.url),
        relayed: true,
      });
    }
    return new JourneyFailure('ws_handshake', `the page's WebSocket closed before any frame arrived; ${where}, so its handshake's answer and close code are not visible`, {
      url: urlWithoutSecrets(socket.url),
      relayed: true,
    });
  }
  // No error, no close: the socket is still connecting, so the server never answered the upgrade.
  if (socket.close === null && socket.errorAt === null && message === '') {
    return new JourneyFailure('timeout', `the page's WebSocket was still connecting after ${timeoutMs} ms: the server did not answer the upgrade`, {
      offered: socket.offered.map(shortProtocol),
      url: urlWithoutSecrets(socket.url),
    });
  }
  const evidence: Evidence = {
    offered: socket.offered.map(shortProtocol),
    closeCode: socket.close?.code ?? null,
    browserError: message,
  };
  // The page's own code closed it while it was connecting: the server had not answered the upgrade when the page gave up.
  if (socket.abandonedAt !== null && socket.openAt === null && !/Unexpected response code|Sec-WebSocket-Protocol|HTTP Authentication failed/.test(message)) {
    const waited = Math.round(socket.abandonedAt - socket.createdAt);
    return new JourneyFailure('timeout', `the server did not answer the WebSocket upgrade: the page gave up after ${waited} ms and closed its connecting socket`, {
      ...evidence,
      url: urlWithoutSecrets(socket.url),
      waitedMs: waited,
    });
  }
  const mismatch = /'Sec-WebSocket-Protocol' header value '([^']*)' in response does not match/.exec(message);
  if (mismatch !== null) {
    const selected = shortProtocol(mismatch[1] ?? '');
    return new JourneyFailure('ws_subprotocol', `server answered subprotocol "${selected}", which the page did not offer; the browser failed the connection`, { ...evidence, selected });
  }
  if (/Sec-WebSocket-Protocol' header but no response/.test(message)) {
    return new JourneyFailure('ws_subprotocol', 'server selected no subprotocol though the page offered one; the browser failed the connection', { ...evidence, selected: null });
  }
  if (/HTTP Authentication failed/.test(message)) {
    return new JourneyFailure('ws_auth', 'handshake refused with 401', { ...evidence, status: 401 });
  }
  const status = /Unexpected response code: (\d+)/.exec(message);
  if (status !== null) {
    return new JourneyFailure('ws_handshake', `handshake refused with HTTP ${status[1] ?? ''}`, { ...evidence, status: Number(status[1]) });
  }
  return new JourneyFailure('ws_handshake', `the page's WebSocket failed before opening (close ${socket.close?.code ?? 'none'})`, evidence);
}

/**
 * The page never opened its live channel: a script error, a CORS failure, or a page that does not work.
 * Unless the browser did open a socket the probe cannot read (a Web Worker's, a frame's): then the page may
 * well work for a user, and the failure is the monitor's, saying where the socket is.
 */
export function noSocketFailure(probe: PageProbe, timeoutMs: number): JourneyFailure {
  const outOfSight = probe.socketsOutOfSight();
  if (outOfSight.length > 0) {
    return new JourneyFailure(
      'monitor_error',
      `the page opened its WebSocket outside its own scripts (a Web Worker or a frame: ${outOfSight[0] ?? ''}), where gpmon cannot read the frames; the page itself may work`,
      { browserSockets: outOfSight.slice(0, 5) },
    );
  }
  const cors = probe.consoleErrors.find((error) => /CORS policy/i.test(error));
  if (cors !== undefined) {
    return new JourneyFailure('network', 'the chat page could not reach the auth origin (blocked by CORS), so it never opened the WebSocket', { consoleError: cors.slice(0, 300) });
  }
  return new JourneyFailure('ui', `the chat page did not open its WebSocket within ${timeoutMs} ms`, {
    pageErrors: probe.pageErrors.slice(0, 3),
    consoleErrors: probe.consoleErrors.slice(0, 3),
  });
}
