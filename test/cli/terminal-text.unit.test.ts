import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { columns, cut, shellWord, terminalJson, terminalText } from '../../src/cli/terminal-text.js';

/** Anything a terminal would act on: C0 controls, DEL, C1 controls, separators, bidirectional controls. */
// eslint-disable-next-line no-control-regex -- the test looks for exactly these
const ACTIVE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Target text on its way to a terminal: every escape sequence and control printed as what it is. */
describe('terminalText', () => {
  it('makes ANSI escape sequences visible instead of letting them drive the terminal', () => {
    const hostile = 'ok \u001b[2J\u001b[H\u001b]0;pwned\u0007 \u001b]52;c;ZXZpbA==\u001b\\ done';
    const shown = terminalText(hostile);
    assert.equal(shown, 'ok \\x1b[2J\\x1b[H\\x1b]0;pwned\\x07 \\x1b]52;c;ZXZpbA==\\x1b\\ done');
    assert.doesNotMatch(shown, ACTIVE);
  });

  it('escapes the other C0 controls, DEL, the C1 controls (U+009B is an 8-bit CSI) and bidirectional overrides', () => {
    assert.equal(terminalText('a\rb\nc\td\u0008e\u007f'), 'a\\rb\\nc\\td\\x08e\\x7f');
    assert.equal(terminalText('x\u009b2Jy'), 'x\\x9b2Jy');
    assert.equal(terminalText('file\u202Egnp.exe'), 'file\\u{202e}gnp.exe');
    assert.equal(terminalText('a\u2028b\u2066c\u2069'), 'a\\u{2028}b\\u{2066}c\\u{2069}');
    for (let code = 0; code < 0x10000; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      assert.doesNotMatch(terminalText(String.fromCharCode(code)), ACTIVE, `U+${code.toString(16)}`);
    }
  });

  it('leaves ordinary text alone: quotes, backslashes, accents, CJK, emoji', () => {
    const text = 'answer "Golden path OK" /^\\S+$/ café 日本 🚀';
    assert.equal(terminalText(text), text);
  });
});

describe('terminalJson', () => {
  it('is JSON that parses back to the same value, with no character a terminal acts on', () => {
    const value = { frame: '\u001b[31mred\u001b[0m', c1: '\u009b2J', bidi: '\u202e', del: '\u007f', nested: [{ bell: '\u0007' }] };
    const json = terminalJson(value);
    // The indentation's own newlines are the only control characters left.
    assert.doesNotMatch(json.replaceAll('\n', ''), ACTIVE);
    assert.deepEqual(JSON.parse(json), value);
    assert.match(json, /\\u009b2J/);
  });
});

describe('cut, shellWord, columns', () => {
  it('cut keeps short text, says how much it left out of long text, and never splits a surrogate pair', () => {
    assert.equal(cut('short', 10), 'short');
    assert.equal(cut('abcdefghij', 4), 'abcd…(6 more characters)');
    assert.equal(cut('ab🚀cd', 3), 'ab…(4 more characters)');
  });

  it('shellWord quotes what a shell would split or expand', () => {
    assert.equal(shellWord('/tmp/runs/abc/trace.zip'), '/tmp/runs/abc/trace.zip');
    assert.equal(shellWord('/tmp/my runs/trace.zip'), "'/tmp/my runs/trace.zip'");
    assert.equal(shellWord("/tmp/it's/$(x)"), "'/tmp/it'\\''s/$(x)'");
  });

  it('columns pads each column to its widest cell, the last one not at all', () => {
    assert.deepEqual(columns([['a', 'bb', 'c'], ['ccc', 'd', 'eeee']], '  '), ['  a    bb  c', '  ccc  d   eeee']);
  });
});
