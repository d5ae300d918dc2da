// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const SRC_FOLDERS = ['browser', 'catalog', 'cli', 'config', 'http', 'journeys', 'kit', 'metrics', 'model', 'monitor', 'protocol', 'reporter', 'run', 'schedule', 'secrets', 'simulator', 'store', 'time'];

/**
 * One `no-restricted-imports` block per folder of src/: every other folder it
 * is not allowed is refused, by relative specifier ('../cli/x.js'), with why.
 * @param {Record<string, { allow: string[]; why: string; except?: string[] }>} rules
 */
function importRules(rules) {
  return Object.entries(rules).map(([folder, { allow, why, except = [] }]) => {
    const refused = SRC_FOLDERS.filter((other) => other !== folder && !allow.includes(other));
    return {
      files: [`src/${folder}/**/*.ts`],
      ignores: except,
      rules: {
        'no-restricted-imports': ['error', { patterns: [{ regex: `^\\.\\./(${refused.join('|')})/`, message: `src/${folder} may import only ${allow.length > 0 ? allow.join(', ') : 'nothing of src/'}: ${why} (design.md, one-way flow)` }] }],
      },
    };
  });
}

/**
 * The one-way flow of design.md, per folder of src/: what each may import
 * from the others (src/cli, which wires everything, is free). Exported for
 * test/lint/import-rules.unit.test.ts.
 */
export const IMPORT_RULES = importRules({
  model: { allow: [], why: 'the model is the shared vocabulary: it depends on nothing of ours' },
    time: { allow: ['model'], why: 'a leaf utility' },
    secrets: { allow: ['model'], why: 'redaction is a leaf: every sink uses it, it uses none' },
    browser: { allow: ['model'], why: 'the browser choice is a leaf' },
    protocol: { allow: ['model'], why: "the child's contract is data shared by both sides" },
    simulator: { allow: ['model'], why: 'the simulator is the target: it knows nothing of the monitor' },
    store: { allow: ['model'], why: 'one writer per sink: the store reads run records, nothing else' },
    metrics: { allow: ['model'], why: 'one writer per sink: metrics read run records, nothing else' },
    schedule: { allow: ['model'], why: 'the scheduler fires ticks; the daemon wires them to runs' },
    run: { allow: ['model', 'protocol', 'secrets', 'time'], why: 'the executor turns a child into a record; sinks come after it' },
    reporter: { allow: ['model', 'protocol'], why: "the reporter runs inside the child: it speaks the child's contract only" },
    catalog: { allow: ['model', 'kit', 'time'], why: 'discovery reads what journey files declare' },
    config: { allow: ['model', 'catalog'], why: 'config comes first in the flow: it knows the journeys, nothing downstream' },
    kit: { allow: ['model', 'protocol', 'secrets', 'time', 'browser', 'simulator'], why: 'the kit runs in the journey child: no monitor-side module (its index re-exports the shipped bodies)', except: ['src/kit/index.ts'] },
    journeys: { allow: ['model', 'kit', 'time'], why: 'journey bodies are built on the kit' },
    http: { allow: ['model', 'config', 'metrics', 'store', 'monitor'], why: 'HTTP serves what the sinks hold' },
    monitor: { allow: ['model', 'config', 'catalog', 'schedule', 'run', 'metrics', 'store', 'http', 'simulator', 'secrets', 'time'], why: 'the daemon wires the flow; the CLI wires it' },
});

export default tseslint.config(
  { ignores: ['scratch/**', 'bench/peers/elastic/**', 'bench/.journeys-*/**', 'test/fixtures/discovery/misbehaving/c-syntax.spec.ts', 'node_modules/**', 'runs/**', 'data/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' }] },
      ],
      // Playwright fixtures use an empty object pattern by convention.
      'no-empty-pattern': 'off',
    },
  },
  ...IMPORT_RULES,
  {
    // Tests re-check what an assert already narrowed, and poll state that changes behind TypeScript's back.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unnecessary-condition': 'off' },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: globals.node },
  },
  {
    // The simulator's web app runs in the browser as plain scripts, like the real front end.
    files: ['src/simulator/app/public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
);
