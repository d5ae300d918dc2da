/**
 * Replaces every form a secret can take in text or bytes: raw, JSON-escaped,
 * URL-encoded, base64 and base64url (the WebSocket subprotocol form). Used on
 * artifacts (trace archives included), records and log lines before they are
 * stored, so no secret leaves the run.
 */
export const REDACTED = '[REDACTED]';
// Secrets shorter than this would redact ordinary words; none of ours are.
const MIN_SECRET_LENGTH = 6;

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
      Buffer.from(secret).toString('base64url'),
      Buffer.from(secret).toString('base64').replace(/=+$/, ''),
    ];
    for (const form of forms) if (form.length >= MIN_SECRET_LENGTH) this.forms.add(form);
    // Longest first, so a secret's longer form is replaced before a shorter one inside it.
    this.byteForms = [...this.forms].sort((a, b) => b.length - a.length).map((f) => Buffer.from(f));
  }

  get size(): number {
    return this.forms.size;
  }

  text(input: string): string {
    let out = input;
    for (const form of this.byteForms) out = out.split(form.toString()).join(REDACTED);
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
    return out;
  }

  /** Deep copy of a JSON value with every string redacted. */
  value<T>(input: T): T {
    return JSON.parse(this.text(JSON.stringify(input))) as T;
  }

  /** The first secret form found in the input, for scans in tests. */
  find(input: string | Buffer): string | undefined {
    const haystack = typeof input === 'string' ? Buffer.from(input) : input;
    return this.byteForms.find((form) => haystack.indexOf(form) >= 0)?.toString();
  }
}
