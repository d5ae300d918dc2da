/**
 * Replaces every form a secret can take in text or bytes: raw, JSON-escaped,
 * URL-encoded, base64 and base64url (the WebSocket subprotocol form). Used on
 * artifacts (trace archives included), records and log lines before they are
 * stored, so no secret leaves the run.
 */
import { harvestCredentials } from './credential-harvest.js';

export const REDACTED = '[REDACTED]';

/**
 * Shapes that are secrets whatever their value, for the copies exact matching
 * misses: tools truncate long strings (Playwright's trace shortens a goto URL
 * that carries tokens), and a truncated token is still half a token.
 */
const SECRET_SHAPES: readonly [RegExp, string][] = [
  // A JWT, whole or cut short.
  [/eyJ[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]*){0,2}/g, REDACTED],
  // A JWT in base64url, the WebSocket subprotocol form (`eyJ` encodes as `ZXlK`).
  [/ZXlK[A-Za-z0-9_-]{16,}/g, REDACTED],
  // Tokens in a query string.
  [/([?&](?:access_token|refresh_token|id_token|token)=)[^&#\s"'\\]+/g, `$1${REDACTED}`],
];
// A configured secret is replaced however short (a 4-character password is still one);
// its derived forms only from this length, where they cannot be ordinary text.
const MIN_SECRET_LENGTH = 3;
const MIN_FORM_LENGTH = 6;

export class Redactor {
  private readonly forms = new Set<string>();
  private byteForms: Buffer[] = [];

  constructor(secrets: Iterable<string | undefined> = []) {
    for (const secret of secrets) this.add(secret);
  }

  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) return;
    const forms = [
      secret,
      JSON.stringify(secret).slice(1, -1),
      encodeURIComponent(secret),
      // A browser's form post (application/x-www-form-urlencoded): `!'()~` escaped too, a space as `+`.
      new URLSearchParams([['', secret]]).toString().slice(1),
      Buffer.from(secret).toString('base64url'),
      Buffer.from(secret).toString('base64').replace(/=+$/, ''),
    ];
    this.forms.add(secret);
    for (const form of forms.slice(1)) if (form.length >= MIN_FORM_LENGTH) this.forms.add(form);
    // Longest first, so a secret's longer form is replaced before a shorter one inside it.
    this.byteForms = [...this.forms].sort((a, b) => b.length - a.length).map((f) => Buffer.from(f));
  }

  /**
   * Takes every credential the text shows by where it stands (headers,
   * cookies, token fields: see credential-harvest.ts) as a secret from now on.
   * Call it on everything a run left before redacting any of it, so a value
   * seen in one artifact is replaced in all. Returns how many were new.
   */
  learn(input: string | Buffer): number {
    const before = this.forms.size;
    for (const value of harvestCredentials(typeof input === 'string' ? input : input.toString('utf8'))) this.add(value);
    return this.forms.size - before;
  }

  get size(): number {
    return this.forms.size;
  }

  text(input: string): string {
    let out = input;
    for (const form of this.byteForms) out = out.split(form.toString()).join(REDACTED);
    for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement);
    return out;
  }

  bytes(input: Buffer): Buffer {
    let out = input;
    for (const form of this.byteForms) {
      if (out.indexOf(form) < 0) continue;
      const parts: Buffer[] = [];
      let from = 0;
      for (let at = out.indexOf(form); at >= 0; at = out.indexOf(form, from)) {
        parts.push(out.subarray(from, at), Buffer.from(REDACTED));
        from = at + form.length;
      }
      parts.push(out.subarray(from));
      out = Buffer.concat(parts);
    }
    // latin1 maps every byte to one character and back, so the bytes around a match survive.
    const asText = out.toString('latin1');
    let shaped = asText;
    for (const [shape, replacement] of SECRET_SHAPES) shaped = shaped.replace(shape, replacement);
    return shaped === asText ? out : Buffer.from(shaped, 'latin1');
  }

  /**
   * Deep copy of a JSON value with every string (keys too) redacted. It walks
   * the value rather than replacing in its JSON text: a harvested value that
   * is all digits must never cut into a number and break the document.
   */
  value<T>(input: T): T {
    const walk = (node: unknown): unknown => {
      if (typeof node === 'string') return this.text(node);
      if (Array.isArray(node)) return node.map(walk);
      if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, child]) => [this.text(key), walk(child)]));
      return node;
    };
    return walk(input) as T;
  }

  /** The first secret form found in the input, for scans in tests. */
  find(input: string | Buffer): string | undefined {
    const haystack = typeof input === 'string' ? Buffer.from(input) : input;
    return this.byteForms.find((form) => haystack.indexOf(form) >= 0)?.toString();
  }
}
