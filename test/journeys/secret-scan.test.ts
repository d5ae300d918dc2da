import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { Redactor } from '../../src/secrets/redactor.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { gpmon } from '../helpers/gpmon-cli.js';
import { filesOf } from '../helpers/artifact-scan.js';

/**
 * A failed browser run keeps the most: a trace, a screenshot, the transcript,
 * console errors. None of it, nor the record, nor what the command printed,
 * may hold a configured secret or any token the run obtained.
 */

// A JWT, or a JWT in base64url (the subprotocol form): `eyJhbGciOi` becomes `ZXlKaGJHY2lPaU`.
const TOKEN_SHAPES = [/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/, /ZXlKaGJHY2lPaU[A-Za-z0-9_-]{20,}/];

describe('secret scan of a failed run', () => {
  let sim: Simulator;
  let runsDir: string;
  before(async () => {
    sim = await startSimulator();
    runsDir = mkdtempSync(join(tmpdir(), 'gpmon-secrets-'));
  });
  after(async () => {
    await sim.stop();
    rmSync(runsDir, { recursive: true, force: true });
  });

  for (const login of ['form', 'bypass'] as const) {
    it(`${login} login: no secret in the run folder (trace entries included), the record or the output`, async () => {
      // Fails at once after the login, the socket and the first events: every credential is in play, no timeout waited out.
      sim.state.enable({ name: 'close_1011', after: 'agent_thinking' });
      const d = sim.description;
      const env = {
        GPMON_APP_URL: d.app, GPMON_AUTH_URL: d.auth, GPMON_API_URL: d.api, GPMON_WS_URL: d.ws,
        GPMON_LOGIN: login, GPMON_EMAIL: d.email, GPMON_PASSWORD: d.password, GPMON_BYPASS_KEY: d.bypassKey,
        GPMON_RUNS_DIR: runsDir,
      };
      const before = new Set(sim.issuedTokens());
      const result = await gpmon(['run', 'golden-path', '--target', 'env', '--json'], env);
      assert.equal(result.code, 1, result.stderr);
      const record = JSON.parse(result.stdout) as RunRecord;
      assert.equal(record.failure?.step, 'live_events');
      assert.equal(record.failure.reason, 'ws_closed', 'the verdict through the executor and the reporter is the in-process one');
      const names = record.artifacts.map((a) => a.name);
      for (const kind of ['transcript.jsonl', '.png', '.zip', 'console-errors.json']) {
        assert.ok(names.some((n) => n.endsWith(kind)), `${kind} among ${names.join(', ')}`);
      }
      const obtained = sim.issuedTokens().filter((token) => !before.has(token));
      assert.ok(obtained.length >= 2, 'the run obtained tokens');
      const secrets = new Redactor([d.password, d.bypassKey, ...obtained]);
      const scanned = [
        { name: 'stdout', content: Buffer.from(result.stdout) },
        { name: 'stderr', content: Buffer.from(result.stderr) },
        ...(await filesOf(join(runsDir, record.id))),
      ];
      assert.ok(scanned.length > 10, `scanned ${scanned.length} files and entries`);
      for (const { name, content } of scanned) {
        assert.equal(secrets.find(content), undefined, `${name} holds a secret`);
        const text = content.toString('latin1');
        for (const shape of TOKEN_SHAPES) assert.equal(shape.exec(text)?.[0].slice(0, 120), undefined, `${name} holds something token-shaped`);
      }
    });
  }
});
