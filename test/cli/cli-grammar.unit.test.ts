import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gpmonInProcess } from '../helpers/gpmon-cli.js';
import { monitorVersion } from '../../src/cli/versions.js';
import { RUN_USAGE } from '../../src/cli/run-command.js';
import { parseCommand } from '../../src/cli/grammar.js';
import { simulatorSpec } from '../../src/cli/simulator-command.js';
import { UsageError } from '../../src/cli/usage.js';

const COMMANDS = ['serve', 'run', 'runs', 'show', 'status', 'replay', 'verify', 'validate', 'journeys', 'new', 'simulator'];

/** The command line as commander parses it (src/cli/program.ts): help, version, suggestions, and bad usage as exit 2. */
describe('gpmon command line', () => {
  for (const command of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      it(`gpmon ${command} ${flag}: its usage and options on stdout, exit 0, nothing run`, async () => {
        const { code, stdout, stderr } = await gpmonInProcess([command, flag]);
        assert.equal(code, 0, stderr);
        assert.equal(stderr, '');
        assert.match(stdout, new RegExp(`^Usage: gpmon ${command} `, 'm'));
        assert.match(stdout, /^ {2}-h, --help +show this help$/m);
      });
    }
  }

  it('the help of run keeps its detail: every option, the targets, the history, the exit codes', async () => {
    const { stdout } = await gpmonInProcess(['help', 'run']);
    for (const flag of ['--target', '--config', '--prompt', '--expect', '--timeout', '--runs-dir', '--json', '--push', '--no-record']) assert.match(stdout, new RegExp(`^ {2}${flag}\\b`, 'm'), flag);
    assert.match(stdout, /GPMON_APP_URL/);
    assert.match(stdout, /gpmon show <id> and gpmon replay\s+<id> find it/);
    assert.match(stdout, /Exit: 0 passed, 1 failed \(the target\), 2 error \(the monitor\) or bad usage,\n\s+130 stopped by Ctrl-C \(143 by SIGTERM\)/);
    // What test/packaging reads for the CronJobs' flags.
    assert.match(RUN_USAGE, /--no-record/);
    assert.match(RUN_USAGE, /--push <url>/);
  });

  it('gpmon --help and gpmon help list every command, the exit codes and the environment', async () => {
    for (const args of [['--help'], ['help'], ['-h']]) {
      const { code, stdout } = await gpmonInProcess(args);
      assert.equal(code, 0);
      for (const command of COMMANDS) assert.match(stdout, new RegExp(`^ {2}${command} `, 'm'), `${args.join(' ')}: ${command}`);
      assert.match(stdout, /Exit codes: 0 ok \(passed\), 1 the target failed, 2 an error of the monitor or\nbad usage, 130 stopped by Ctrl-C, 143 by SIGTERM/);
      assert.match(stdout, /GPMON_API_TOKEN/);
    }
  });

  for (const flag of ['-V', '--version']) {
    it(`gpmon ${flag}: the version, exit 0`, async () => {
      const { code, stdout } = await gpmonInProcess([flag]);
      assert.equal(code, 0);
      assert.equal(stdout, `${monitorVersion()}\n`);
    });
  }

  it('no command: the help on stderr, exit 2', async () => {
    const { code, stdout, stderr } = await gpmonInProcess([]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /^Usage: gpmon \[options\] \[command\]/);
  });

  const usage: [string, string[], RegExp][] = [
    ['a mistyped command, with a suggestion', ['serv'], /^gpmon: unknown command 'serv'\n\(Did you mean serve\?\)\n\(gpmon --help shows what it takes\)\n$/],
    ['help of a mistyped command, with a suggestion', ['help', 'serv'], /^gpmon help: unknown command "serv" \(did you mean "serve"\?\); the commands: serve, run, runs, show, status, replay, verify, validate, journeys, new, simulator\n$/],
    ['a mistyped command that is like none', ['launch'], /^gpmon: unknown command 'launch'\n/],
    ['"toString", which is no command', ['toString'], /^gpmon: unknown command 'toString'/],
    ['a mistyped option, with a suggestion', ['run', 'golden-path', '--jsn'], /^gpmon run: unknown option '--jsn'\n\(Did you mean --json\?\)\n\(gpmon run --help shows what it takes\)\n$/],
    ['a mistyped option of another command', ['runs', '--faild'], /^gpmon runs: unknown option '--faild'\n\(Did you mean --failed\?\)/],
    ['an option without its value', ['serve', '--port'], /^gpmon serve: option '--port <n>' argument missing/],
    ['a bad port', ['serve', '--port', '70000'], /^gpmon serve: --port: "70000" is not a port number \(0-65535\)\n$/],
    ['a port that is not a number', ['serve', '--port', '8o80'], /^gpmon serve: --port: "8o80" is not a port number/],
    ['an argument a command does not take', ['validate', 'now'], /^gpmon validate: unexpected argument "now"\n$/],
    ['a second journey', ['run', 'golden-path', 'golden-path-api'], /^gpmon run: unexpected argument "golden-path-api"\n$/],
    ['show without a run id', ['show'], /^gpmon show: missing required argument 'run-id'/],
    ['replay without a run id', ['replay'], /^gpmon replay: name one run id\n$/],
    ['replay of something that is no run id', ['replay', '../etc'], /^gpmon replay: "\.\.\/etc" is not a run id\n$/],
    ['a --timeout that is not a count', ['run', 'golden-path', '--timeout', '10s'], /^gpmon run: --timeout: "10s" is not a positive integer\n$/],
    ['verify without its revision', ['verify'], /^gpmon verify: --expect-revision: required/],
    ['a config file that is not there', ['validate', '--config', '/nonexistent/monitor.config.ts'], /^gpmon validate: config file \/nonexistent\/monitor\.config\.ts does not exist\n$/],
  ];
  for (const [name, args, message] of usage) {
    it(`exits 2 naming ${name}`, async () => {
      const { code, stdout, stderr } = await gpmonInProcess(args);
      assert.equal(code, 2, stderr);
      assert.equal(stdout, '');
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('parseCommand reads a command alone (in-process callers), and names what is wrong as a UsageError', () => {
    const { options } = parseCommand(simulatorSpec(), ['--json', '--fault', 'agent_error', '--fault', 'empty_answer', '--app-port', '0']);
    assert.deepEqual(options, { json: true, fault: ['agent_error', 'empty_answer'], appPort: '0' });
    assert.throws(() => parseCommand(simulatorSpec(), ['--colour']), (error) => error instanceof UsageError && /^gpmon simulator: unknown option '--colour'/.test(error.message));
    assert.throws(() => parseCommand(simulatorSpec(), ['extra']), (error) => error instanceof UsageError && /^gpmon simulator: too many arguments/.test(error.message));
  });
});
