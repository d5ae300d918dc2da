import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoQueue } from '../../src/run/go-queue.js';
import { runnerKey, type RunnerSpec } from '../../src/run/runner.js';
import type { RunRequest } from '../../src/run/executor.js';
import { journeyNamed } from '../helpers/shipped.js';

/**
 * The runner pool's parts that need no child: which runs share a runner (the
 * key), and the queue of tests waiting for their go (on a real socket). The
 * pool with real children is test/run/warm-runner.test.ts.
 */

const spec: RunnerSpec = {
  journey: journeyNamed('golden-path-api'),
  target: { name: 'staging', appUrl: 'http://app.invalid', authUrl: 'http://auth.invalid', apiUrl: 'http://api.invalid', wsUrl: 'ws://api.invalid/ws', login: 'form', email: 'u@example.com', locators: {} } as unknown as RunnerSpec['target'],
  secrets: { password: 'one' },
  timeoutMs: 30_000,
  artifacts: { traceScreenshots: false },
};

describe('runner key', () => {
  it('every part of the spec that changes the child makes another runner: journey, target, secret, deadline, artifact policy', () => {
    const key = runnerKey(spec);
    const others = {
      journey: { ...spec, journey: journeyNamed('golden-path') },
      target: { ...spec, target: { ...spec.target, appUrl: 'http://other.invalid' } },
      secret: { ...spec, secrets: { password: 'two' } },
      deadline: { ...spec, timeoutMs: 31_000 },
      screencast: { ...spec, artifacts: { traceScreenshots: true } },
    };
    for (const [what, other] of Object.entries(others)) assert.notEqual(runnerKey(other), key, `another ${what}, another runner`);
  });

  it('what travels in the go (step timeout, inputs, id) does not: a run request finds the runner its spec loaded', () => {
    const request: RunRequest = { ...spec, id: 'r1', stepTimeoutMs: 5000, inputs: { prompt: 'p', expectedAnswer: '.' }, trigger: 'manual' };
    const another: RunRequest = { ...request, id: 'r2', stepTimeoutMs: 9000, inputs: { prompt: 'q', expectedAnswer: 'x' } };
    assert.equal(runnerKey(request), runnerKey(spec));
    assert.equal(runnerKey(another), runnerKey(spec));
  });

  it('holds the secret only as a digest', () => {
    assert.ok(!runnerKey({ ...spec, secrets: { password: 'a-secret-value', bypassKey: 'another-secret' } }).includes('secret'));
  });
});

describe('go queue', () => {
  let dir: string;
  let server: Server;
  let queue: GoQueue;
  const path = () => join(dir, 'go.sock');
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpmon-goq-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh queue behind a fresh socket. */
  async function listen(): Promise<void> {
    queue = new GoQueue();
    server = createServer((socket) => {
      socket.on('error', () => socket.destroy());
      queue.push(socket);
    });
    rmSync(path(), { force: true });
    await new Promise<void>((resolve) => server.listen(path(), resolve));
  }
  /** A test connecting to wait for its go; resolves with what the go said, or '' when hung up on. */
  function test(): { socket: Socket; go: Promise<string> } {
    const socket = connect(path());
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    return {
      socket,
      go: new Promise((resolve) => {
        socket.on('close', () => {
          resolve(text);
        });
      }),
    };
  }
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });

  it('hands out tests in the order they connected; waiting() settles at the first, next() waits for one not yet there', async () => {
    await listen();
    const first = test();
    await queue.waiting();
    const second = test();
    await queue.queued();
    (await queue.next()).end('go 1\n');
    const socket = await queue.next();
    socket.end('go 2\n');
    assert.deepEqual(await Promise.all([first.go, second.go]), ['go 1\n', 'go 2\n']);
    const later = queue.next();
    const third = test();
    (await later).end('go 3\n');
    assert.equal(await third.go, 'go 3\n');
    queue.close();
    await close();
  });

  it('a test that hangs up while it waits leaves the queue; close() hangs up on the rest and on any that come after', async () => {
    await listen();
    const gone = test();
    const stays = test();
    await queue.waiting();
    // Both connected (a local socket: a moment), then one hangs up.
    await new Promise((resolve) => setTimeout(resolve, 50));
    gone.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await queue.next();
    next.end('go\n');
    assert.equal(await stays.go, 'go\n', 'the test still waiting got the go, not the one that hung up');
    const waiting = test();
    await new Promise((resolve) => setTimeout(resolve, 50));
    queue.close();
    assert.equal(await waiting.go, '', 'hung up on at close');
    const late = test();
    assert.equal(await late.go, '', 'hung up on after close');
    await queue.queued();
    await close();
  });
});
