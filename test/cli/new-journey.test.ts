import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gpmon, gpmonInProcess } from '../helpers/gpmon-cli.js';
import { PROJECT_ROOT } from '../../src/catalog/shipped.js';

/**
 * `gpmon new journey`, as an author uses it from a project of their own: gpmon
 * installed in node_modules (a link to this checkout), the new file in that
 * project's journeys/, one config line naming the folder, then `gpmon run`.
 */
describe('gpmon new journey', () => {
  let project: string;
  before(() => {
    project = mkdtempSync(join(tmpdir(), 'gpmon-author-'));
    writeFileSync(join(project, 'package.json'), '{"type":"module","private":true}\n');
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(PROJECT_ROOT, join(project, 'node_modules', 'golden-path-monitor'), 'dir');
    writeFileSync(join(project, 'monitor.config.mjs'), "export default { journeyDirs: ['journeys'] };\n");
  });
  after(() => {
    rmSync(project, { recursive: true, force: true });
  });

  for (const kind of ['protocol', 'browser'] as const) {
    it(`--${kind}: writes a file that declares itself, is found in the config's journeyDirs, and passes against the simulator under gpmon run`, async () => {
      const name = `my-${kind}-check`;
      const made = await gpmon(['new', 'journey', name, `--${kind}`, '--config', 'monitor.config.mjs'], {}, { cwd: project });
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, new RegExp(`^wrote journeys/${name}\\.spec\\.ts: a ${kind} journey "${name}", steps login, ask_agent$`, 'm'));
      assert.match(readFileSync(join(project, 'journeys', `${name}.spec.ts`), 'utf8'), /from 'golden-path-monitor\/kit'/, 'it imports the kit from the package');
      const ran = await gpmon(['run', name, '--config', 'monitor.config.mjs', '--json'], {}, { cwd: project });
      assert.equal(ran.code, 0, `${ran.stdout}\n${ran.stderr}`);
      const record = JSON.parse(ran.stdout) as { journey: string; outcome: string; steps: { name: string; status: string }[] };
      assert.equal(record.journey, name);
      assert.equal(record.outcome, 'passed');
      assert.deepEqual(record.steps.map((s) => [s.name, s.status]), [['login', 'passed'], ['ask_agent', 'passed']]);
    });
  }

  const refused: [string, (project: string) => string[], string][] = [
    ['a name that is not lower-case words joined by "-"', () => ['new', 'journey', 'My_Check'], 'gpmon new journey: "My_Check" must be lower-case words joined by \'-\' (my-checkout)\n'],
    ['a name a shipped journey has', (at) => ['new', 'journey', 'golden-path', '--dir', join(at, 'journeys'), '--config', join(at, 'monitor.config.mjs')], 'gpmon new journey: "golden-path" is already the name of journeys/golden-path.spec.ts\n'],
    ['both kinds', () => ['new', 'journey', 'x-y', '--browser', '--protocol'], 'gpmon new journey: --browser or --protocol, not both\n'],
    ['no name', () => ['new', 'journey'], 'gpmon new journey: name the journey (lower-case words joined by "-", e.g. my-checkout)\n'],
    ['something else to make', () => ['new', 'dashboard', 'x'], 'gpmon new: cannot make "dashboard": gpmon new journey <name>\n'],
    ['a --dir that is a file', (at) => ['new', 'journey', 'x-y', '--dir', join(at, 'package.json')], 'gpmon new journey: --dir: PROJECT/package.json is a file, not a folder\n'],
  ];
  for (const [what, args, message] of refused) {
    it(`refuses ${what}, exit 2`, async () => {
      const result = await gpmonInProcess(args(project));
      assert.equal(result.code, 2);
      assert.equal(result.stderr, message.replace('PROJECT', project));
    });
  }

  it('never overwrites a file that is there', async () => {
    mkdirSync(join(project, 'mine'), { recursive: true });
    const file = join(project, 'mine', 'kept.spec.ts');
    writeFileSync(file, '// my own work\n');
    const result = await gpmonInProcess(['new', 'journey', 'kept', '--dir', join(project, 'mine'), '--config', join(project, 'monitor.config.mjs')]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `gpmon new journey: ${file} exists; it is left as it is (choose another name, or delete it first)\n`);
    assert.equal(readFileSync(file, 'utf8'), '// my own work\n');
  });
});
