// The Reflect polyfill @peculiar/x509's dependency injection needs; evaluated before it, as imports run in order.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

/**
 * The simulator's own PKI, made at start: a private CA and a leaf certificate
 * for the simulator's hosts signed by it, both with ECDSA P-256 keys, as
 * staging serves https/wss on every origin (contract §8, TLS). A monitor that
 * trusts the CA (a target's `caFile`) sees a valid chain; one that does not
 * sees an untrusted one. Nothing is written to disk here.
 */

/** How long the normal leaf is valid, in days from its issue: a public CA's usual 90. */
export const LEAF_VALIDITY_DAYS = 90;
/** How long the CA is valid, in days: past any leaf a `cert_expiring` fault can ask for (at most 3650 days). */
const CA_VALIDITY_DAYS = 3660;
/** A leaf's validity starts this long before its issue, in ms, so a client clock a little behind still accepts it. */
const BACKDATE_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

const ALGORITHM: EcKeyGenParams & EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
// Node's webcrypto is the DOM's Crypto in all the library uses of it; the types differ only in Node's extras.
const crypto = webcrypto as unknown as Crypto;

/** A certificate and its private key, PEM. */
export interface KeyedCertificate {
  /** The leaf's certificate followed by the CA's (the chain a server sends), PEM. */
  readonly certPem: string;
  /** The leaf's private key, PKCS#8 PEM. */
  readonly keyPem: string;
  /** When the leaf stops being valid. */
  readonly notAfter: Date;
}

export interface SimulatorPki {
  /** The private CA's self-signed certificate (CA:true), PEM: what a client adds to its trusted CAs. */
  readonly caPem: string;
  /** The normal leaf, valid for LEAF_VALIDITY_DAYS days from its issue at start. */
  readonly leaf: KeyedCertificate;
  /**
   * A new leaf for the same hosts and key, signed by the same CA, valid from
   * an hour ago until `notAfter` (a `cert_expiring` fault: a date days away,
   * or now for one already expired).
   */
  issueLeaf(notAfter: Date): Promise<KeyedCertificate>;
}

/**
 * Makes the CA and the normal leaf for `hosts`: each an IP address (v4 or v6,
 * without brackets) or a DNS name, put in the leaf's subjectAltName as an IP
 * or DNS entry. The leaf's subject is the first host.
 */
export async function createSimulatorPki(hosts: readonly string[], now: Date = new Date()): Promise<SimulatorPki> {
  const names = [...new Set(hosts.map((host) => host.replace(/^\[(.*)\]$/, '$1')).filter((host) => host !== ''))];
  if (names.length === 0) throw new Error('a certificate needs at least one host');
  const caKeys = await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
  const caName = `CN=gpmon simulator CA ${Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString('hex')}, O=gpmon`;
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: caName,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
      signingAlgorithm: ALGORITHM,
      keys: caKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const caPem = ca.toString('pem');
  // One key for every leaf: a re-issue changes the validity, not the key.
  const leafKeys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const keyPem = pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  const altNames: x509.JsonGeneralName[] = names.map((name) => ({ type: isIP(name) === 0 ? 'dns' : 'ip', value: name }));
  const subjectKeyId = await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey, false, crypto);
  const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, crypto);

  const issueLeaf = async (notAfter: Date): Promise<KeyedCertificate> => {
    const issued = new Date();
    const cert = await x509.X509CertificateGenerator.create(
      {
        subject: `CN=${names[0] ?? 'localhost'}`,
        issuer: ca.subject,
        notBefore: new Date(Math.min(issued.getTime(), notAfter.getTime()) - BACKDATE_MS),
        notAfter,
        signingAlgorithm: ALGORITHM,
        publicKey: leafKeys.publicKey,
        signingKey: caKeys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(altNames),
          subjectKeyId,
          authorityKeyId,
        ],
      },
      crypto,
    );
    return { certPem: `${cert.toString('pem')}\n${caPem}\n`, keyPem, notAfter: cert.notAfter };
  };

  const leaf = await issueLeaf(new Date(now.getTime() + LEAF_VALIDITY_DAYS * DAY_MS));
  return { caPem, leaf, issueLeaf };
}

/** `days` days after `from` (fractions allowed). */
export function daysAfter(from: Date, days: number): Date {
  return new Date(from.getTime() + days * DAY_MS);
}

function pem(label: string, der: ArrayBuffer): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
