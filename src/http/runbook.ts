import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { Marked } from 'marked';
import { gfmHeadingId } from 'marked-gfm-heading-id';
import type { Logger } from 'pino';
import type { Views } from './views.js';
import { pageOf } from './session.js';

/**
 * `GET /runbook`: the alerts' runbook (docs/runbook.md) as a console page, so
 * every alert's runbook_url (`<runbook base>#<alert name lower-cased>`) has a
 * target the monitor itself serves: the default runbook base is
 * `<server.externalUrl>/runbook`. Headings get GitHub's ids
 * (marked-gfm-heading-id), so `#goldenpathdown` opens the same section here
 * as on GitHub.
 */

/** The runbook the project ships, next to this module's package root. */
export const RUNBOOK_FILE = fileURLToPath(new URL('../../docs/runbook.md', import.meta.url));

export interface RenderedRunbook {
  /** The document as HTML (the project's own Markdown: trusted, not escaped further). */
  readonly html: string;
  /** Its sections (level-2 headings): id and text, for the table of contents. */
  readonly sections: readonly { readonly id: string; readonly text: string }[];
}

/** Markdown to HTML with GitHub's heading ids; tables wrapped so a narrow screen scrolls them, not the page. */
export function renderRunbook(markdown: string): RenderedRunbook {
  const marked = new Marked(gfmHeadingId());
  const html = (marked.parse(markdown, { async: false })).replace(/<table>/g, '<div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on a narrow screen)"><table>').replace(/<\/table>/g, '</table></div>');
  const sections = [...html.matchAll(/<h2 id="([^"]+)">([\s\S]*?)<\/h2>/g)].map((m) => ({ id: m[1] ?? '', text: (m[2] ?? '').replace(/<[^>]+>/g, '') }));
  return { html, sections };
}

export interface RunbookDeps {
  readonly views: Views;
  readonly logger: Logger;
  /** The Markdown file to serve (tests give their own); default RUNBOOK_FILE. */
  readonly file?: string;
}

/**
 * The /runbook route. The file is read and rendered once, at the first
 * request; an install without it (an image that left docs/ out) answers 404
 * with a page saying so, never a stack trace.
 */
export function createRunbookRouter(deps: RunbookDeps): Router {
  const router = Router();
  const file = deps.file ?? RUNBOOK_FILE;
  let rendered: Promise<RenderedRunbook | undefined> | undefined;
  const load = () =>
    (rendered ??= readFile(file, 'utf8').then(renderRunbook, (error: unknown) => {
      deps.logger.warn({ file, err: error instanceof Error ? error.message : String(error) }, 'the runbook cannot be read');
      // Tried again at the next request: the file may be mounted later.
      rendered = undefined;
      return undefined;
    }));
  router.get('/runbook', async (req, res) => {
    const runbook = await load();
    if (runbook === undefined) {
      res.status(404).type('html').send(deps.views.render('runbook', pageOf(req, res, 'Runbook'), { missing: true }));
      return;
    }
    res.type('html').send(deps.views.render('runbook', pageOf(req, res, 'Runbook'), { missing: false, html: runbook.html, sections: runbook.sections }));
  });
  return router;
}
