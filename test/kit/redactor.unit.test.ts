import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import JSZip from 'jszip';
import { REDACTED, Redactor } from '../../src/secrets/redactor.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadArtifact, redactedBytes } from '../../src/secrets/artifact-files.js';

const SECRET = 'p@ss wörd/+=&"x';

describe('redactor', () => {
  const redactor = new Redactor([SECRET, undefined, 'ab', 'pa55']);
  const forms = [
    SECRET,
    JSON.stringify(SECRET).slice(1, -1),
    encodeURIComponent(SECRET),
    Buffer.from(SECRET).toString('base64url'),
    Buffer.from(SECRET).toString('base64').replace(/=+$/, ''),
  ];

  for (const form of forms) {
    it(`replaces the form ${JSON.stringify(form)} in text and bytes`, () => {
      assert.equal(redactor.text(`a ${form} b ${form}`), `a ${REDACTED} b ${REDACTED}`);
      assert.equal(redactor.bytes(Buffer.from(`[${form}]`)).toString(), `[${REDACTED}]`);
    });
  }

  it('replaces a short configured secret too, but not one of two characters', () => {
    assert.equal(redactor.text('pw pa55 ab'), `pw ${REDACTED} ab`);
  });

  it('redacts every string of a JSON value', () => {
    assert.deepEqual(redactor.value({ a: [`x${SECRET}`], b: 1 }), { a: [`x${REDACTED}`], b: 1 });
  });

  it('finds a secret for scans', () => {
    assert.equal(redactor.find(Buffer.from(`..${forms[3] ?? ''}..`)), forms[3]);
    assert.equal(redactor.find('clean'), undefined);
  });

  it('redacts inside every entry of a zip archive (a Playwright trace), names included', async () => {
    const zip = new JSZip();
    zip.file('trace.trace', `{"params":{"value":"${SECRET}"}}`);
    zip.file(`resources/${forms[3] ?? ''}.dat`, Buffer.from(`token=${forms[2] ?? ''}`));
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-zip-'));
    const path = join(dir, 'trace.zip');
    writeFileSync(path, await zip.generateAsync({ type: 'nodebuffer' }));
    const out = await JSZip.loadAsync(await redactedBytes(await loadArtifact(path), redactor));
    rmSync(dir, { recursive: true, force: true });
    const names = Object.keys(out.files);
    assert.deepEqual(names.sort(), ['resources/', `resources/${REDACTED}.dat`, 'trace.trace'].sort());
    for (const name of names) {
      const entry = out.files[name];
      if (entry === undefined || entry.dir) continue;
      const content = await entry.async('nodebuffer');
      assert.equal(redactor.find(content), undefined, `${name} still holds a secret`);
    }
  });
});

describe('redactor: secret shapes', () => {
  const redactor = new Redactor();
  const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
  it('redacts a JWT it was never told about, and one cut short', () => {
    assert.equal(redactor.text(`a ${jwt} b`), `a ${REDACTED} b`);
    assert.equal(redactor.text(`goto "/cb?x=${jwt.slice(0, 50)}…"`), `goto "/cb?x=${REDACTED}…"`);
  });
  it('redacts a JWT in its base64url subprotocol form', () => {
    const offered = `jwt.${Buffer.from(jwt).toString('base64url')}`;
    assert.equal(redactor.text(offered), `jwt.${REDACTED}`);
  });
  it('redacts tokens in a query string, opaque ones too', () => {
    assert.equal(redactor.text('/auth/callback?access_token=abc.def&refresh_token=Zm9vYmFy'), `/auth/callback?access_token=${REDACTED}&refresh_token=${REDACTED}`);
  });
  it('leaves the bytes around a match in a binary buffer intact', () => {
    const bytes = Buffer.concat([Buffer.from([0, 255, 128]), Buffer.from(jwt), Buffer.from([7])]);
    assert.deepEqual(redactor.bytes(bytes), Buffer.concat([Buffer.from([0, 255, 128]), Buffer.from(REDACTED), Buffer.from([7])]));
  });
});

describe('redactor: forms and kinds a real run shows', () => {
  it('a password in a browser form post (x-www-form-urlencoded) is replaced', () => {
    const redactor = new Redactor(["Secret!2 (o'k)~"]);
    const body = `email=a%40b.test&password=${new URLSearchParams([['', "Secret!2 (o'k)~"]]).toString().slice(1)}`;
    assert.ok(!redactor.text(body).includes('Secret'), redactor.text(body));
  });

  it('a harvested all-digit value never cuts into a number: a record stays valid JSON', () => {
    const redactor = new Redactor();
    redactor.learn('{"session_id":"83749283"}');
    const record = { wallTime: 1783749283000, note: 'x' };
    assert.deepEqual(redactor.value(record), record);
  });

  it('an artifact\'s content decides its kind, not its name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-kind-'));
    try {
      const redactor = new Redactor(['hunter2-secret']);
      // Text named like an image is still text, and redacted.
      writeFileSync(join(dir, 'shot.png'), 'password=hunter2-secret');
      const text = await loadArtifact(join(dir, 'shot.png'));
      assert.equal(text.kind, 'text');
      assert.ok(!(await redactedBytes(text, redactor)).toString().includes('hunter2'));
      // A zip named otherwise is still a zip, redacted entry by entry.
      const zip = new JSZip();
      zip.file('trace.trace', '{"value":"hunter2-secret"}');
      writeFileSync(join(dir, 'trace.v2'), await zip.generateAsync({ type: 'nodebuffer' }));
      assert.equal((await loadArtifact(join(dir, 'trace.v2'))).kind, 'zip');
      // A compressed file that is not a zip cannot be redacted: refused, never stored as it is.
      writeFileSync(join(dir, 'network.har.gz'), gzipSync('hunter2-secret'));
      await assert.rejects(loadArtifact(join(dir, 'network.har.gz')), /compressed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
