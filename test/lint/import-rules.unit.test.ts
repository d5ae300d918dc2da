import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { IMPORT_RULES } from '../../eslint.config.js';

/**
 * The folders' import rules (eslint.config.js IMPORT_RULES, design.md's one-way
 * flow) on their own, without type information: a forbidden import is refused
 * with the folder's reason, an allowed one passes. `npm run lint` applies them
 * to the whole tree.
 */
describe('import rules per folder of src/', () => {
  const eslint = new ESLint({
    cwd: process.cwd(),
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...IMPORT_RULES],
  });
  const messages = async (file: string, text: string) => ((await eslint.lintText(text, { filePath: file }))[0]?.messages ?? []).map((m) => m.message);

  const refused: [string, string, string][] = [
    ['src/metrics/push.ts', '../cli/versions.js', 'src/metrics may import only model: one writer per sink: metrics read run records, nothing else (design.md, one-way flow)'],
    ['src/metrics/monitor-metrics.ts', '../kit/event-collector.js', 'src/metrics may import only model: one writer per sink: metrics read run records, nothing else (design.md, one-way flow)'],
    ['src/kit/answer.ts', '../run/executor.js', 'src/kit may import only model, protocol, secrets, time, browser, simulator: the kit runs in the journey child: no monitor-side module (its index re-exports the shipped bodies) (design.md, one-way flow)'],
    ['src/model/target.ts', '../config/resolve.js', 'src/model may import only nothing of src/: the model is the shared vocabulary: it depends on nothing of ours (design.md, one-way flow)'],
    ['src/simulator/state.ts', '../kit/failure.js', 'src/simulator may import only model: the simulator is the target: it knows nothing of the monitor (design.md, one-way flow)'],
    ['src/config/resolve.ts', '../monitor/daemon.js', 'src/config may import only model, catalog: config comes first in the flow: it knows the journeys, nothing downstream (design.md, one-way flow)'],
  ];
  for (const [file, specifier, why] of refused) {
    it(`${file} importing ${specifier} is refused, with why`, async () => {
      assert.deepEqual(await messages(file, `import { x } from '${specifier}';\nexport const y = x;\n`), [`'${specifier}' import is restricted from being used by a pattern. ${why}`]);
    });
  }

  it('an allowed import passes; the CLI may import anything; the kit\'s index may re-export the shipped bodies', async () => {
    assert.deepEqual(await messages('src/metrics/push.ts', "import { x } from '../model/run-record.js';\nexport const y = x;\n"), []);
    assert.deepEqual(await messages('src/cli/main.ts', "import { x } from '../monitor/daemon.js';\nexport const y = x;\n"), []);
    assert.deepEqual(await messages('src/kit/index.ts', "export { goldenPath } from '../journeys/golden-path.js';\n"), []);
    assert.equal((await messages('src/kit/fixtures.ts', "export { goldenPath } from '../journeys/golden-path.js';\n")).length, 1, 'the rest of the kit may not');
  });
});
