import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Executor } from '../../src/run/executor.js';
import { journeyRunSettings } from '../../src/config/resolve.js';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { withDefaults, type Target, type TargetSecrets } from '../../src/model/target.js';
import { journeyNamed } from '../helpers/shipped.js';
import { PROJECT_ROOT } from '../helpers/journey-harness.js';
import { waitFor } from '../helpers/prom-tools.js';
import { commandOf, descendantsOf, environOf } from '../helpers/processes.js';

/**
 * Secrets go only where they are needed: a journey child holds its own
 * target's secret and nothing of another target's or the API token; the
 * browser, which renders the target's pages without a sandbox, holds none.
 */
describe('what the run processes inherit', () => {
  const sims: Simulator[] = [];
  let runsDir: string;
  let executor: Executor;
  const targets: { target: Target; secrets: TargetSecrets }[] = [];
  const apiToken = 'api-token-never-in-a-run-0123456789';
  const unrelated = 'unrelated-secret-of-the-host-0123456789';

  before(async () => {
    for (const name of ['alpha', 'beta']) {
      const sim = await startSimulator();
      sims.push(sim);
      const d = sim.description;
      targets.push({ target: withDefaults({ name, appUrl: d.app, authUrl: d.auth, apiUrl: d.api, wsUrl: d.ws, login: 'form', email: d.email }), secrets: { password: d.password, bypassKey: d.bypassKey } });
    }
    runsDir = mkdtempSync(join(tmpdir(), 'gpmon-env-'));
    // The monitor's environment holds every target's secret, the API token and whatever else the host set.
    const monitorEnv: NodeJS.ProcessEnv = {
      ...process.env,
      GPMON_API_TOKEN: apiToken,
      ALPHA_PASSWORD: targets[0]?.secrets.password,
      BETA_PASSWORD: targets[1]?.secrets.password,
      GPMON_PASSWORD: 'the-env-target-password-0123456789',
      DATABASE_URL: `postgres://u:${unrelated}@db/x`,
      PASSED_ON: 'operator-chose-this',
    };
    executor = new Executor({ projectRoot: PROJECT_ROOT, runsDir, env: monitorEnv, passEnv: ['PASSED_ON'] });
  });
  after(async () => {
    await executor.close(0);
    for (const sim of sims) await sim.stop();
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('a child holds its own target\'s secret only; its browser holds no secret at all', async () => {
    const journey = journeyNamed('golden-path');
    // Loaded ahead: each child has launched its browser and waits for its go.
    for (const { target, secrets } of targets) await executor.prepare({ journey, target, secrets, ...journeyRunSettings(journey) });
    const browsers = await waitFor('both browsers up', () => {
      const found = descendantsOf(process.pid).filter((pid) => /chrom/i.test(commandOf(pid)) && commandOf(pid).includes('--remote-debugging-pipe'));
      return Promise.resolve(found.length >= 2 ? found : undefined);
    }, 30_000);
    const every = [apiToken, unrelated, 'the-env-target-password-0123456789', ...targets.flatMap((t) => [t.secrets.password ?? '', t.secrets.bypassKey ?? ''])];
    const processes = descendantsOf(process.pid);
    let children = 0;
    let browserProcesses = 0;
    for (const pid of processes) {
      const env = environOf(pid);
      if (env.size === 0) continue;
      const values = [...env.values()].join('\n');
      const command = commandOf(pid);
      assert.ok(!values.includes(apiToken), `${command.slice(0, 80)} holds the API token`);
      assert.ok(!values.includes(unrelated), `${command.slice(0, 80)} holds a variable it was never given`);
      if (/chrom/i.test(command)) {
        browserProcesses++;
        for (const secret of every) assert.ok(!values.includes(secret), `the browser (${pid}) holds a secret`);
        assert.equal(env.get('GPMON_TARGET_JSON'), undefined);
        continue;
      }
      const own = env.get('GPMON_TARGET_JSON');
      if (own === undefined) continue;
      children++;
      const mine = targets.find((t) => t.target.name === (JSON.parse(own) as { name: string }).name);
      assert.ok(mine);
      assert.equal(env.get('GPMON_PASSWORD'), mine.secrets.password, 'its own target\'s password');
      for (const other of targets.filter((t) => t !== mine)) {
        assert.ok(!values.includes(other.secrets.password ?? '-'), 'another target\'s password');
        assert.ok(!values.includes(other.secrets.bypassKey ?? '-'), 'another target\'s bypass key');
      }
      assert.equal(env.get('PASSED_ON'), 'operator-chose-this', 'runs.passEnv passes a named variable');
      assert.ok(env.get('PATH'), 'what a process needs to run');
    }
    assert.ok(children >= 2, `journey processes seen: ${children}`);
    assert.ok(browserProcesses >= browsers.length, `browser processes seen: ${browserProcesses}`);
  });

  it('after close, no process of the children is left', async () => {
    await executor.close(0);
    // close() resolves once the children and every process carrying their tag are gone.
    const left = descendantsOf(process.pid).map((pid) => `${pid} ${commandOf(pid).slice(0, 100)}`).filter((line) => !line.endsWith(' '));
    assert.deepEqual(left, []);
  });
});
