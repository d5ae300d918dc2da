import { request, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * A WebSocket handshake done by hand, so a test sees exactly what the server
 * put on the wire (the echoed subprotocol header, a close frame) without a
 * client library's own checks in the way.
 */
export interface RawUpgrade {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The first server frame after a 101, if it is a close frame. */
  readonly close?: { code: number; reason: string };
}

export function rawUpgrade(wsBase: string, protocols: readonly string[], headers: Record<string, string> = {}): Promise<RawUpgrade> {
  const url = new URL(`${wsBase.replace(/^ws/, 'http')}/ws`);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...(protocols.length > 0 ? { 'sec-websocket-protocol': protocols.join(', ') } : {}),
        ...headers,
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      let buffered = head;
      const finish = (close?: { code: number; reason: string }) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, ...(close ? { close } : {}) });
      };
      const tryParse = () => {
        // Server frames are unmasked; a close frame is opcode 0x8 with a short payload.
        if (buffered.length < 2) return;
        const opcode = (buffered[0] ?? 0) & 0x0f;
        const length = (buffered[1] ?? 0) & 0x7f;
        if (buffered.length < 2 + length) return;
        if (opcode !== 0x8) {
          finish();
          return;
        }
        const payload = buffered.subarray(2, 2 + length);
        finish({ code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') });
      };
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        tryParse();
      });
      socket.on('end', () => {
        finish();
      });
      tryParse();
    });
    req.on('error', reject);
    req.end();
  });
}
