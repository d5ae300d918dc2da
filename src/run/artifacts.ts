import { mkdir, readFile, stat, writeFile, copyFile } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import JSZip from 'jszip';
import type { ArtifactRecord } from '../model/run-record.js';
import type { Redactor } from '../secrets/redactor.js';

/** Images hold pixels, not text: nothing in them to replace byte by byte. */
const OPAQUE = new Set(['.png', '.jpg', '.jpeg', '.webm', '.webp']);

export interface ArtifactSource {
  readonly name: string;
  readonly path: string;
}

/**
 * Moves a run's artifacts into its run folder with every secret replaced,
 * inside trace archives too (each entry of the zip is rewritten). Returns what
 * was stored; a file that cannot be read is skipped and reported.
 */
export async function storeArtifacts(
  sources: readonly ArtifactSource[],
  runDir: string,
  runsRoot: string,
  redactor: Redactor,
): Promise<{ stored: ArtifactRecord[]; problems: string[] }> {
  await mkdir(runDir, { recursive: true });
  const stored: ArtifactRecord[] = [];
  const problems: string[] = [];
  const used = new Set<string>();
  for (const source of sources) {
    const name = uniqueName(fileNameFor(source), used);
    const destination = join(runDir, name);
    try {
      const ext = extname(name).toLowerCase();
      if (ext === '.zip') await writeFile(destination, await redactZip(await readFile(source.path), redactor));
      else if (OPAQUE.has(ext)) await copyFile(source.path, destination);
      else await writeFile(destination, redactor.bytes(await readFile(source.path)));
      stored.push({ name, path: relative(runsRoot, destination), bytes: (await stat(destination)).size });
    } catch (error) {
      problems.push(`${source.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { stored, problems };
}

export async function redactZip(archive: Buffer, redactor: Redactor): Promise<Buffer> {
  const zip = await JSZip.loadAsync(archive);
  const out = new JSZip();
  for (const entry of Object.values(zip.files)) {
    const name = redactor.text(entry.name);
    if (entry.dir) {
      out.folder(name);
      continue;
    }
    const content = await entry.async('nodebuffer');
    out.file(name, OPAQUE.has(extname(entry.name).toLowerCase()) ? content : redactor.bytes(content));
  }
  return out.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}

/** Playwright names its attachments `trace` and `screenshot`; files keep a safe base name. */
function fileNameFor(source: ArtifactSource): string {
  const ext = extname(source.path);
  const base = source.name.includes('.') ? source.name : `${source.name}${ext}`;
  return basename(base).replace(/[^A-Za-z0-9._-]/g, '_') || `artifact${ext}`;
}

function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  for (let i = 2; used.has(candidate); i++) {
    const ext = extname(name);
    candidate = `${name.slice(0, name.length - ext.length)}-${i}${ext}`;
  }
  used.add(candidate);
  return candidate;
}
