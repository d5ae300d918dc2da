import { Eta } from 'eta';
import { fileURLToPath } from 'node:url';

/** The console's templates (src/http/views/*.eta) and static files (src/http/assets/): next to this module, so a packaged copy finds them. */
export const VIEWS_DIR = fileURLToPath(new URL('./views/', import.meta.url));
export const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

/** Who is looking at a page: signed in (a session) or not, and the CSRF token its forms must carry. */
export interface Viewer {
  readonly signedIn: boolean;
  /** The session's CSRF token (csrf-sync): every form that writes sends it as `_csrf`. Absent when not signed in. */
  readonly csrfToken?: string;
}

/** What every page gets, beside its own data: the layout reads these. */
export interface PageContext {
  readonly title: string;
  readonly viewer: Viewer;
  /** The request's path and query: where sign-in sends the operator back to. */
  readonly path: string;
}

/**
 * The console's templating: Eta (https://eta.js.org), chosen for auto-escaping
 * on by default (`<%= %>` escapes; `<%~ %>` is raw and only ever takes HTML
 * a template built itself), plain-JS templates with no build step, TypeScript
 * types, and an active maintainer. One instance per HTTP app (no module-level
 * state); templates are cached once read.
 */
export class Views {
  private readonly eta = new Eta({ views: VIEWS_DIR, autoEscape: true, cache: true });

  /**
   * Renders views/<name>.eta with `data` as `it` (and the page context as `it.page`); a template that
   * calls `layout('layout')` is wrapped in views/layout.eta. Throws when the template is missing or
   * throws itself: the HTTP error handler answers 500 and logs it.
   */
  render(name: string, page: PageContext, data: object = {}): string {
    return this.eta.render(name, { ...data, page });
  }
}
