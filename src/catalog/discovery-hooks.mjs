// Module customization hooks (node:module register) for journey discovery
// (src/catalog/discover.ts): a journey file imported for its declaration (its
// URL carries ?gpmon-discovery=) gets the kit's discovery stand-in
// (src/kit/discovery-kit.ts) for 'golden-path-monitor/kit', not the whole kit,
// which would load Playwright. Every other import resolves as usual.

/** @type {string | undefined} */
let standIn;

/** @param {{ standIn: string }} data */
export function initialize(data) {
  standIn = data.standIn;
}

/**
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context: unknown) => unknown} nextResolve
 */
export function resolve(specifier, context, nextResolve) {
  if (standIn !== undefined && specifier === 'golden-path-monitor/kit' && (context.parentURL ?? '').includes('gpmon-discovery=')) {
    // Resolved by the next hook (tsx's, for a .ts file) as if the file had named it: it loads as any of our modules.
    return nextResolve(standIn, context);
  }
  return nextResolve(specifier, context);
}
