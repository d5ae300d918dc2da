import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import JSZip from 'jszip';

/** Every file under a folder, and every entry of every zip among them (a Playwright trace), for secret scans. */
export async function filesOf(dir: string): Promise<{ name: string; content: Buffer }[]> {
  const out: { name: string; content: Buffer }[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      out.push(...(await filesOf(path)));
      continue;
    }
    const content = readFileSync(path);
    out.push({ name: path, content });
    if (entry.endsWith('.zip')) {
      const zip = await JSZip.loadAsync(content);
      for (const file of Object.values(zip.files)) {
        if (!file.dir) out.push({ name: `${path}!${file.name}`, content: await file.async('nodebuffer') });
      }
    }
  }
  return out;
}
