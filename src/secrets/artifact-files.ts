import { readFile, writeFile } from 'node:fs/promises';
import JSZip from 'jszip';
import type { Redactor } from './redactor.js';


/** An artifact read into memory: a zip (a Playwright trace) by its entries, or one text or opaque file. */
export type LoadedArtifact =
  | { readonly kind: 'zip'; readonly entries: readonly { readonly name: string; readonly dir: boolean; readonly content: Buffer }[] }
  | { readonly kind: 'text'; readonly content: Buffer }
  | { readonly kind: 'opaque'; readonly content: Buffer };


/** Leading bytes of the formats an artifact may be, whatever its name says. */
const MAGIC: readonly [Buffer, 'zip' | 'opaque' | 'compressed'][] = [
  [Buffer.from('PK\x03\x04', 'latin1'), 'zip'],
  [Buffer.from('\x89PNG', 'latin1'), 'opaque'],
  [Buffer.from('\xff\xd8\xff', 'latin1'), 'opaque'],
  [Buffer.from('GIF8', 'latin1'), 'opaque'],
  [Buffer.from('\x1a\x45\xdf\xa3', 'latin1'), 'opaque'],
  [Buffer.from('\x1f\x8b', 'latin1'), 'compressed'],
  [Buffer.from('BZh', 'latin1'), 'compressed'],
  [Buffer.from('\x28\xb5\x2f\xfd', 'latin1'), 'compressed'],
];

function kindOf(content: Buffer): 'zip' | 'opaque' | 'compressed' | 'text' {
  if (content.subarray(0, 4).toString('latin1') === 'RIFF' && content.subarray(8, 12).toString('latin1') === 'WEBP') return 'opaque';
  return MAGIC.find(([magic]) => content.subarray(0, magic.length).equals(magic))?.[1] ?? 'text';
}

/**
 * Reads one artifact. Its content decides its kind, never its name: a zip
 * (a Playwright trace) by its entries, an image as it is, anything else as
 * text; a compressed file that is not a zip is refused (a replacement in
 * compressed bytes finds nothing). Rejects when it cannot be read.
 */
export async function loadArtifact(path: string): Promise<LoadedArtifact> {
  const content = await readFile(path);
  const kind = kindOf(content);
  if (kind === 'opaque') return { kind: 'opaque', content };
  if (kind === 'compressed') throw new Error('a compressed file other than a zip cannot be redacted; not taken');
  if (kind === 'text') return { kind: 'text', content };
  const zip = await JSZip.loadAsync(content);
  const entries = await Promise.all(
    Object.values(zip.files).map(async (entry) => ({ name: entry.name, dir: entry.dir, content: entry.dir ? Buffer.alloc(0) : await entry.async('nodebuffer') })),
  );
  return { kind: 'zip', entries };
}

/** Teaches the redactor every credential the artifact shows by its place (credential-harvest.ts). */
export function learnFrom(artifact: LoadedArtifact, redactor: Redactor): void {
  if (artifact.kind === 'text') redactor.learn(artifact.content);
  if (artifact.kind === 'zip') {
    for (const entry of artifact.entries) {
      redactor.learn(entry.name);
      if (!entry.dir && kindOf(entry.content) === 'text') redactor.learn(entry.content);
    }
  }
}

/** The artifact's bytes with every secret the redactor knows replaced (in a zip: every entry, names too). */
export async function redactedBytes(artifact: LoadedArtifact, redactor: Redactor): Promise<Buffer> {
  if (artifact.kind === 'opaque') return artifact.content;
  if (artifact.kind === 'text') return redactor.bytes(artifact.content);
  const out = new JSZip();
  for (const entry of artifact.entries) {
    const name = redactor.text(entry.name);
    if (entry.dir) out.folder(name);
    // An image inside the trace (a screencast frame) holds pixels: a replacement in it could only corrupt it.
    else out.file(name, kindOf(entry.content) === 'opaque' ? entry.content : redactor.bytes(entry.content));
  }
  return out.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}

/** One file to redact: read from `from`, written redacted to `to` (the same path to redact in place). */
export interface RedactionJob {
  readonly from: string;
  readonly to: string;
}

export type RedactionResult = { readonly ok: true; readonly bytes: number } | { readonly ok: false; readonly problem: string };

/**
 * Redacts a run's files together: reads all of them, learns every credential
 * any of them shows (so a token seen in one file's network log is replaced in
 * every file), then writes each redacted. One result per job, in order: the
 * bytes written, or why the file could not be read or written.
 */
export async function redactFiles(jobs: readonly RedactionJob[], redactor: Redactor): Promise<RedactionResult[]> {
  const loaded = await Promise.all(
    jobs.map(async (job) => {
      try {
        return await loadArtifact(job.from);
      } catch (error) {
        return problemOf(error, redactor);
      }
    }),
  );
  for (const artifact of loaded) if (!('problem' in artifact)) learnFrom(artifact, redactor);
  const results: RedactionResult[] = [];
  for (const [i, artifact] of loaded.entries()) {
    const job = jobs[i];
    if (job === undefined || 'problem' in artifact) {
      results.push({ ok: false, problem: 'problem' in artifact ? artifact.problem : 'no such job' });
      continue;
    }
    try {
      const bytes = await redactedBytes(artifact, redactor);
      // An image redacted in place is left as it is: nothing in it was replaced.
      if (!(artifact.kind === 'opaque' && job.from === job.to)) await writeFile(job.to, bytes);
      results.push({ ok: true, bytes: bytes.length });
    } catch (error) {
      results.push({ ok: false, problem: problemOf(error, redactor).problem });
    }
  }
  return results;
}

function problemOf(error: unknown, redactor: Redactor): { problem: string } {
  return { problem: redactor.text(error instanceof Error ? error.message : String(error)) };
}
