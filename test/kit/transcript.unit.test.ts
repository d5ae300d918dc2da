import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transcript } from '../../src/kit/transcript.js';
import { Redactor } from '../../src/secrets/redactor.js';

describe('transcript', () => {
  it('a flood keeps its head and its end, with one line counting what was let go between them', () => {
    const transcript = new Transcript();
    for (let i = 0; i < 100_000; i++) transcript.add({ t: i, dir: 'in', data: JSON.stringify({ type: 'heartbeat', n: i }) });
    transcript.add({ t: 100_000, dir: 'in', data: '{"type":"connection_established"}' });
    transcript.add({ t: 100_001, dir: 'event', event: 'close', detail: { code: 1000 } });
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-transcript-'));
    try {
      const path = join(dir, 'transcript.jsonl');
      transcript.write(path, new Redactor([]));
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { t: number; event?: string; data?: string; detail?: { entries?: number } });
      assert.equal(lines.length, 1000 + 1 + 4000);
      assert.equal(lines[0]?.t, 0);
      assert.equal(lines[999]?.t, 999);
      const gap = lines[1000];
      assert.equal(gap?.event, 'entries_dropped');
      assert.equal(gap.detail?.entries, 100_002 - 5000);
      assert.equal(lines.at(-2)?.data, '{"type":"connection_established"}', 'the end is kept');
      assert.equal(lines.at(-1)?.event, 'close');
      assert.equal(transcript.droppedEntries, 100_002 - 5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a short run is kept whole, with no gap line', () => {
    const transcript = new Transcript();
    for (let i = 0; i < 10; i++) transcript.add({ t: i, dir: 'out', data: 'x' });
    assert.equal(transcript.size, 10);
    assert.equal(transcript.droppedEntries, 0);
  });
});
