/**
 * Text from a target (frames, messages, answers, evidence) on its way to a
 * terminal. A terminal obeys what it is sent: an escape sequence in a frame
 * could clear the screen, retitle the window, rewrite the lines above it or
 * (on some terminals) write to the clipboard. `gpmon show` and `gpmon runs`
 * pass every value through here, so such text is printed as what it is.
 */

/**
 * The characters a terminal may act on, or that make text read other than it
 * is: C0 controls (ESC, BEL, CR, backspace, tab, newline…), DEL, C1 controls
 * (U+0080-U+009F: U+009B is a one-character CSI on terminals that take 8-bit
 * controls), the line and paragraph separators, and the bidirectional
 * marks, embeddings, overrides and isolates (text that displays reordered).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** UNSAFE less the C0 controls: in JSON text those are escaped already, but for the indentation's own newlines. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * `text` with every unsafe character (see UNSAFE) made visible as an escape:
 * `\n`, `\r`, `\t`, `\xHH` (ESC is `\x1b`, so `ESC[2J` prints as `\x1b[2J`)
 * or `\u{HHHH}`. Everything else, backslashes included, is kept as it is:
 * the result is for reading, not for parsing back. One line in, one line out.
 */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? escapeOf(c));
}

function escapeOf(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * JSON for a terminal: JSON.stringify (2-space indent) escapes the C0
 * controls itself; this also writes DEL, the C1 controls, the separators and
 * the bidirectional controls as \uXXXX escapes. Still valid JSON, parsing
 * back to the same value.
 */
export function terminalJson(value: object): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The first `max` characters of `text` (a surrogate pair is never split),
 * with `…(N more characters)` when it was longer; as is otherwise.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, Math.floor(max));
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…(${text.length - end} more characters)`;
}

/** A path (or any text) as one POSIX shell word: as is when it holds only the usual path characters, else single-quoted. */
export function shellWord(text: string): string {
  return /^[\w./~:@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Rows as columns: each cell padded to its column's widest (the last column is not padded), joined by two spaces. */
export function columns(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `${indent}${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd());
}
