import { fileURLToPath } from 'node:url';

/** The project's root (where journeys/, playwright.config.ts and package.json are), from this file's place in src/cli/. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
