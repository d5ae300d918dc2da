import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { browserEnvironment, childEnvironment } from '../../src/run/child-environment.js';

/** Allow-lists: a variable nobody named stays out of a run's processes. */
describe('run process environments', () => {
  const monitor: NodeJS.ProcessEnv = {
    PATH: '/usr/bin', HOME: '/home/m', LANG: 'C.UTF-8', LC_ALL: 'C', HTTPS_PROXY: 'http://proxy:3128', NODE_EXTRA_CA_CERTS: '/ca.pem',
    GPMON_API_TOKEN: 'api', GPMON_PASSWORD: 'env-target-password', STAGING_EU_PASSWORD: 'eu', AWS_SECRET_ACCESS_KEY: 'aws', GPMON_CHROMIUM: '/usr/bin/chromium',
    MY_JOURNEY_SETTING: 'x',
  };

  it('a child inherits what a process needs, never a secret it was not handed', () => {
    const env = childEnvironment(monitor, { GPMON_PASSWORD: 'own', GPMON_BYPASS_KEY: undefined, TMPDIR: '/tmp/run' });
    assert.deepEqual(Object.keys(env).sort(), ['GPMON_CHROMIUM', 'GPMON_PASSWORD', 'HOME', 'HTTPS_PROXY', 'LANG', 'LC_ALL', 'NODE_EXTRA_CA_CERTS', 'PATH', 'TMPDIR'].sort());
    assert.equal(env.GPMON_PASSWORD, 'own', 'what the executor gives wins over the monitor\'s own value');
    assert.equal(env.GPMON_BYPASS_KEY, undefined, 'an undefined given value is left out, never inherited');
  });

  it('runs.passEnv adds exactly the names it lists', () => {
    const env = childEnvironment(monitor, {}, ['MY_JOURNEY_SETTING']);
    assert.equal(env.MY_JOURNEY_SETTING, 'x');
    assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
  });

  it('the browser gets no secret, whatever the child holds', () => {
    const child = { ...childEnvironment(monitor, { GPMON_PASSWORD: 'own', GPMON_TARGET_JSON: '{}', TMPDIR: '/tmp/run' }), GPMON_RUN_TAG: 'tag' };
    const env = browserEnvironment(child);
    assert.equal(env.GPMON_PASSWORD, undefined);
    assert.equal(env.GPMON_TARGET_JSON, undefined);
    assert.equal(env.TMPDIR, '/tmp/run', 'its profile and sockets go to the run\'s own temp folder');
    assert.equal(env.GPMON_RUN_TAG, 'tag', 'the run tag finds a browser left behind');
    assert.equal(env.HTTPS_PROXY, 'http://proxy:3128');
  });
});
