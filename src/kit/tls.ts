import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect, rootCertificates, type TLSSocket } from 'node:tls';
import { JourneyFailure } from './failure.js';

/**
 * TLS for the protocol journeys (contract §8, TLS): the CAs a connection to a
 * target trusts, what an untrusted certificate means, and a certificate's
 * dates read from the wire.
 */

interface CachedCas {
  readonly mtimeMs: number;
  readonly cas: readonly string[];
}
const casByFile = new Map<string, CachedCas>();

/**
 * The CAs a connection to a target with `caFile` trusts: the system's (Node's
 * bundled roots, and NODE_EXTRA_CA_CERTS when set) and the file's. Node
 * replaces its roots with any `ca` given, so they are listed again here.
 * Read once per path (again when the file changes: a rotated CA is picked up
 * by the next run). A file that cannot be read is the monitor's fault
 * (`monitor_error`): config validation names it before any run.
 */
export function trustedCas(caFile: string): readonly string[] {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(caFile).mtimeMs;
  } catch (error) {
    throw new JourneyFailure('monitor_error', `cannot read the target's caFile ${caFile}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const cached = casByFile.get(caFile);
  if (cached?.mtimeMs === mtimeMs) return cached.cas;
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new JourneyFailure('monitor_error', `cannot read the target's caFile ${caFile}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const cas = [...rootCertificates, ...extraCas(), pem];
  casByFile.set(caFile, { mtimeMs, cas });
  return cas;
}

function extraCas(): string[] {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra === undefined || extra === '') return [];
  try {
    return [readFileSync(extra, 'utf8')];
  } catch {
    // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; so does the trust built on it.
    return [];
  }
}

// OpenSSL's verdicts on a chain that does not lead to a trusted CA: what a private CA looks like to a client without it.
const UNTRUSTED_CHAIN = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);
// The chain may be trusted, but this certificate is not good now or not for this host.
const INVALID_CERTIFICATE = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'IP_ADDRESS_MISMATCH',
]);

/**
 * The failure for a connection refused because the client does not trust
 * the server's certificate, or undefined when `error` (or its `cause`, as
 * fetch wraps it) is something else: `network`, with a message that names
 * the origin and, for a chain that ends at an unknown CA, the setting that
 * trusts a private one.
 */
export function untrustedCertificateFailure(error: unknown, origin: string): JourneyFailure | undefined {
  const found = certificateError(error);
  if (found === undefined) return undefined;
  if (!UNTRUSTED_CHAIN.has(found.code)) {
    // The chain may well be trusted: this certificate is expired, not yet valid, or for another host.
    return new JourneyFailure('network', `the TLS certificate of ${origin} is not valid (${found.message})`, { url: origin, tlsError: found.code });
  }
  const hint = "; set the target's caFile (GPMON_CA_FILE for the environment's target) to trust a private CA";
  return new JourneyFailure('network', `the TLS certificate of ${origin} is not trusted (${found.message})${hint}`, { url: origin, tlsError: found.code });
}

function certificateError(error: unknown): { code: string; message: string } | undefined {
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 4; at = at.cause, depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && (UNTRUSTED_CHAIN.has(code) || INVALID_CERTIFICATE.has(code))) return { code, message: at.message };
  }
  return undefined;
}

/** A server's certificate as read off a TLS handshake, or why none was. */
export type CertificateReading =
  | {
      readonly ok: true;
      /** The end of its validity (the certificate's validTo). */
      readonly notAfter: Date;
      /** The start of its validity (validFrom). */
      readonly notBefore: Date;
      /** Days from now to notAfter, with fractions; negative once expired. */
      readonly daysLeft: number;
      /** Its subject and issuer, as distinguished names, one attribute a line (`CN=api.example.test`). */
      readonly subject: string;
      readonly issuer: string;
      /** Whether the chain leads to a trusted CA (the system's, or the caFile's) and names the host. */
      readonly trusted: boolean;
      /** Why it is not trusted: OpenSSL's or Node's code (`SELF_SIGNED_CERT_IN_CHAIN`, `ERR_TLS_CERT_ALTNAME_INVALID`, …). */
      readonly authorizationError?: string;
    }
  | { readonly ok: false; readonly error: string };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Reads the certificate an https or wss origin presents (`url`: any URL of
 * it; the port defaults to 443), within `timeoutMs`. Never throws: a
 * certificate is read even when its chain is not trusted, so its expiry can
 * be exported and its trust judged apart (`trusted`); `ok: false` is for no
 * handshake at all (refused, timed out, not TLS, or not an https/wss URL).
 * `caFile`: the target's private CA, trusted beside the system's.
 */
export async function readCertificate(url: string, options: { readonly caFile?: string | undefined; readonly timeoutMs: number }): Promise<CertificateReading> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, error: `not a URL: ${url}` };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'wss:') return { ok: false, error: `not an https or wss URL: ${parsed.origin}` };
  let ca: readonly string[] | undefined;
  try {
    ca = options.caFile === undefined ? undefined : trustedCas(options.caFile);
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? 443 : Number(parsed.port);
  const origin = `${parsed.protocol}//${parsed.host}`;
  return new Promise<CertificateReading>((resolve) => {
    // Verified, but not refused: `authorized` says what verification (chain and host name) found.
    const socket = connect({
      host,
      port,
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ...(ca === undefined ? {} : { ca: [...ca] }),
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const finish = (reading: CertificateReading) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reading);
    };
    const timer = setTimeout(() => {
      finish({ ok: false, error: `no TLS handshake with ${origin} within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    socket.once('secureConnect', () => {
      const peer = socket.getPeerX509Certificate();
      if (peer === undefined) {
        finish({ ok: false, error: `${origin} presented no certificate` });
        return;
      }
      const notAfter = new Date(peer.validTo);
      const why = authorizationError(socket);
      finish({
        ok: true,
        notAfter,
        notBefore: new Date(peer.validFrom),
        daysLeft: (notAfter.getTime() - Date.now()) / DAY_MS,
        subject: peer.subject,
        issuer: peer.issuer,
        trusted: socket.authorized,
        ...(socket.authorized || why === undefined ? {} : { authorizationError: why }),
      });
    });
    socket.once('error', (error: Error) => {
      finish({ ok: false, error: `no TLS handshake with ${origin}: ${error.message}` });
    });
  });
}

/** Why verification failed: Node gives OpenSSL's code as a string (typed as an Error), or Node's own error for a host name mismatch. */
function authorizationError(socket: TLSSocket): string | undefined {
  const why: unknown = socket.authorizationError;
  if (typeof why === 'string') return why;
  if (why instanceof Error) {
    const code = (why as { code?: unknown }).code;
    return typeof code === 'string' ? code : why.message;
  }
  return undefined;
}
