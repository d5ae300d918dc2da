import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { urlWithoutSecrets } from '../../src/secrets/url.js';

describe('a URL for a transcript, evidence or a terminal', () => {
  for (const [given, shown] of [
    ['wss://api.example.test/ws', 'wss://api.example.test/ws'],
    ['wss://api.example.test/ws?token=eyJhbGciOiJIUzI1NiJ9.e30.x&v=2', 'wss://api.example.test/ws?token=…&v=…'],
    ['wss://user:hunter2@api.example.test/live?ticket=abc', 'wss://api.example.test/live?ticket=…'],
    ['https://app.example.test', 'https://app.example.test'],
    ['not a url', '<not a URL>'],
  ] as const) {
    it(`${given} → ${shown}`, () => {
      assert.equal(urlWithoutSecrets(given), shown);
    });
  }
});
