// Types for eslint.config.js, which a test imports (test/lint/import-rules.unit.test.ts).
import type { Linter } from 'eslint';

/** The per-folder import rules of src/ (design.md's one-way flow). */
export declare const IMPORT_RULES: Linter.Config[];
declare const config: Linter.Config[];
export default config;
