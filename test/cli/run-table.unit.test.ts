import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stepLines, summaryLines } from '../../src/cli/run-table.js';
import type { RunRecord } from '../../src/model/run-record.js';

// A hostile target's text (a frame, a message, an answer) must not drive the terminal `gpmon run` prints to.
const HOSTILE = 'answer \u001b[2J\u001b]0;pwned\u0007 \u009b31m \u202etxt.exe';

describe('gpmon run table: text from the target', () => {
  it('prints a failure message and its evidence with their control characters made visible', () => {
    const lines = stepLines({ name: 'ai_response', status: 'failed', durationMs: 12 }, { step: 'ai_response', reason: 'response_mismatch', message: HOSTILE, evidence: { excerpt: HOSTILE } });
    const text = lines.join('\n');
    for (const c of ['\u001b', '\u0007', '\u009b', '\u202e']) assert.ok(!text.includes(c), `a raw U+${c.charCodeAt(0).toString(16)} reached the terminal`);
    assert.match(text, /answer \\x1b\[2J\\x1b\]0;pwned\\x07 \\x9b31m \\u\{202e\}txt\.exe/);
    assert.equal(lines.length, 2, 'the evidence is one line');
  });

  it('escapes the flags and the deployed version in the summary too', () => {
    const record: RunRecord = {
      id: 'r1',
      journey: 'platform-health',
      target: 't',
      trigger: 'manual',
      startedAt: '2026-11-30T10:00:00.000Z',
      finishedAt: '2026-11-30T10:00:01.000Z',
      durationMs: 1000,
      outcome: 'passed',
      steps: [],
      events: [],
      marks: { services: [{ service: 'api', status: 'degraded' }], dependencies: [{ name: 'db', status: 'slow\u001b[31m', latencyMs: 5 }] },
      targetInfo: { version: 'v1\u001b[2J', revision: 'abcdef1234567' },
      artifacts: [],
      inputs: { prompt: 'p', expectedAnswer: 'a' },
    };
    const text = summaryLines(record, new Set(), '/tmp/r1').join('\n');
    assert.ok(!text.includes('\u001b'), 'a raw ESC reached the terminal');
    assert.match(text, /flag: dependency db is slow\\x1b\[31m \(5 ms\)/);
    assert.match(text, /deployed: v1\\x1b\[2J at abcdef123456/);
  });
});
