import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import JSZip from 'jszip';
import type { Redactor } from './redactor.js';

/** Images and video hold pixels, not text: nothing in them to replace byte by byte. */
export const OPAQUE_EXTENSIONS: ReadonlySet<string> = new Set(['.png', '.jpg', '.jpeg', '.webm', '.webp', '.gif']);

/** An artifact read into memory: a zip (a Playwright trace) by its entries, or one text or opaque file. */
export type LoadedArtifact =
  | { readonly kind: 'zip'; readonly entries: readonly { readonly name: string; readonly dir: boolean; readonly content: Buffer }[] }
  | { readonly kind: 'text'; readonly content: Buffer }
  | { readonly kind: 'opaque'; readonly content: Buffer };

const isOpaque = (name: string) => OPAQUE_EXTENSIONS.has(extname(name).toLowerCase());

/** Reads one artifact; `name` decides its kind (`.zip`, an image, or text). Rejects when it cannot be read. */
export async function loadArtifact(path: string, name = path): Promise<LoadedArtifact> {
  const content = await readFile(path);
  if (isOpaque(name)) return { kind: 'opaque', content };
  if (extname(name).toLowerCase() !== '.zip') return { kind: 'text', content };
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
      if (!entry.dir && !isOpaque(entry.name)) redactor.learn(entry.content);
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
    else out.file(name, isOpaque(entry.name) ? entry.content : redactor.bytes(entry.content));
  }
  return out.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}

/**
 * Redacts files where they lie (a run by hand, whose results stay in
 * Playwright's output folder): learns from all of them first, so a token seen
 * in one file's network log is replaced in every file. Returns the files it
 * could not read or write, with why.
 */
export async function redactFilesInPlace(paths: readonly string[], redactor: Redactor): Promise<string[]> {
  const problems: string[] = [];
  const loaded: { path: string; artifact: LoadedArtifact }[] = [];
  for (const path of paths) {
    try {
      loaded.push({ path, artifact: await loadArtifact(path) });
    } catch (error) {
      problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const { artifact } of loaded) learnFrom(artifact, redactor);
  for (const { path, artifact } of loaded) {
    if (artifact.kind === 'opaque') continue;
    try {
      await writeFile(path, await redactedBytes(artifact, redactor));
    } catch (error) {
      problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}
