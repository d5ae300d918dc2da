import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { SHIPPED } from '../helpers/shipped.js';
import { targetFromEnv } from '../../src/model/target.js';
import { loadConfig } from '../../src/config/load.js';
import { RUN_USAGE } from '../../src/cli/run-command.js';
import { startAlertmanager, type Service } from '../helpers/prom-tools.js';
import {
  checkImports,
  commandFlag,
  copiesOf,
  cronIntervalSeconds,
  dockerIgnored,
  dockerignorePatterns,
  environmentOf,
  envOf,
  execForm,
  finalStage,
  gpmonVariables,
  hostPathOf,
  imageFiles,
  kustomizations,
  kustomize,
  lastOf,
  matches,
  mountsOf,
  packagingYamlFiles,
  readDockerfile,
  readYaml,
  repoPath,
  servedRoutes,
  SOURCE_FILE,
  workloads,
  yamlDocuments,
  type ComposeFile,
  type ComposeService,
  type Container,
  type K8sObject,
  type PodTemplate,
  type Workload,
} from './packaging-helpers.js';

/**
 * The packaging (Dockerfile, Compose, Kubernetes) checked without a Docker
 * engine or a cluster: as the tools that read it would (promtool, amtool, a
 * real Alertmanager, kustomize, gpmon's own config loader), and against the
 * code it packages (its routes, the variables it reads, its journeys, its
 * import graph). test/packaging/image-runtime.test.ts runs the image's files.
 */

const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { name: string; exports: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const stages = readDockerfile();
const image = finalStage(stages);
const IMAGE_UID = 10001;

/** The receiver `amtool config routes test` picks for these labels. */
function receiverFor(configFile: string, labels: readonly string[]): string {
  const result = spawnSync('amtool', ['config', 'routes', 'test', `--config.file=${configFile}`, ...labels], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  return result.stdout.trim();
}

function service(compose: ComposeFile, name: string): ComposeService {
  const found = compose.services[name];
  assert.ok(found !== undefined, `docker-compose.yml has no service ${name}`);
  return found;
}

describe('Dockerfile', () => {
  it('is a slim Node 20 Debian image with Chromium that installs production dependencies only', () => {
    assert.ok(stages.length >= 2);
    for (const stage of stages) assert.match(stage.from, /^node:20-[a-z]+-slim$/, `FROM ${stage.from}`);
    const deps = stages[0];
    assert.ok(deps !== undefined);
    const installs = deps.instructions.filter((i) => i.keyword === 'RUN' && /\bnpm\s+(ci|install)\b/.test(i.args));
    assert.equal(installs.length, 1, 'one npm install, in the dependencies stage');
    assert.match(installs[0]?.args ?? '', /\bnpm ci\b.*--omit=dev/);
    // The final stage takes node_modules from that stage and never installs npm packages itself.
    assert.ok(copiesOf(image).some((c) => c.from === deps.name && c.sources.includes('/app/node_modules')));
    assert.ok(!image.instructions.some((i) => i.keyword === 'RUN' && /\bnpm\s+(ci|install|i)\b/.test(i.args)));
    assert.ok(image.instructions.some((i) => i.keyword === 'RUN' && /apt-get install[^&]*\bchromium-headless-shell\b/.test(i.args)));
    // The browser the image names is the one its apt line installs (Debian puts the binary there).
    assert.equal(envOf(image)['GPMON_CHROMIUM'], '/usr/lib/chromium/chromium-headless-shell');
    assert.equal(lastOf(image, 'WORKDIR'), '/app');
  });

  it('runs `gpmon serve` as uid and gid 10001, with a health check on /healthz', () => {
    assert.equal(lastOf(image, 'USER'), `${IMAGE_UID}:${IMAGE_UID}`, 'a numeric USER, so runAsNonRoot can verify it');
    const created = image.instructions.find((i) => i.keyword === 'RUN' && /\buseradd\b/.test(i.args))?.args ?? '';
    assert.match(created, new RegExp(`useradd\\b[^&]*--uid ${IMAGE_UID}\\b`));
    assert.match(created, new RegExp(`groupadd\\b[^&]*--gid ${IMAGE_UID}\\b`));
    const entrypoint = execForm(lastOf(image, 'ENTRYPOINT') ?? '[]');
    assert.deepEqual(entrypoint.slice(-2), ['node', 'bin/gpmon.js']);
    const cmd = execForm(lastOf(image, 'CMD') ?? '[]');
    assert.equal(cmd[0], 'serve');
    // Listening on all interfaces inside the container, on the exposed port.
    assert.equal(cmd[cmd.indexOf('--host') + 1], '0.0.0.0');
    const port = cmd[cmd.indexOf('--port') + 1];
    assert.equal(lastOf(image, 'EXPOSE'), port);
    assert.match(lastOf(image, 'HEALTHCHECK') ?? '', new RegExp(`http://127\\.0\\.0\\.1:${port}/healthz`));
    assert.ok(servedRoutes().has('/healthz'));
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const ignore = dockerignorePatterns();
    for (const stage of stages) {
      for (const copy of copiesOf(stage)) {
        if (copy.from !== undefined) continue;
        for (const source of copy.sources) {
          assert.ok(existsSync(repoPath(source)), `COPY ${source}: not in the repo`);
          assert.ok(!dockerIgnored(source.replace(/^\.\//, ''), ignore), `COPY ${source}: kept out by .dockerignore`);
        }
      }
    }
    // What gpmon needs at run time is in the image.
    const targets = new Set(imageFiles().map((f) => f.target));
    for (const needed of ['package.json', 'bin/gpmon.js', 'playwright.config.ts', 'src/cli/main.ts', 'src/reporter/ndjson-reporter.ts', ...SHIPPED.map((j) => j.file)]) {
      assert.ok(targets.has(needed), `the image lacks ${needed}`);
    }
  });

  it('.dockerignore keeps local state, installs and secrets out of the build context', () => {
    const ignore = dockerignorePatterns();
    for (const path of ['node_modules', 'node_modules/express/package.json', 'runs', 'runs/gpmon.db', 'test-results', 'scratch', 'scratch/x.ts', '.env', '.git']) {
      assert.ok(dockerIgnored(path, ignore), `${path} would be sent to the build`);
    }
    for (const path of ['src/cli/main.ts', 'bin/gpmon.js', 'package-lock.json']) assert.ok(!dockerIgnored(path, ignore), `${path} is kept out`);
  });

  it('package-lock.json matches package.json (npm ci refuses otherwise)', () => {
    const lock = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8')) as { packages: Record<string, { dependencies?: Record<string, string>; devDependencies?: Record<string, string>; dev?: boolean }> };
    const root = lock.packages[''];
    assert.deepEqual(root?.dependencies ?? {}, pkg.dependencies);
    assert.deepEqual(root?.devDependencies ?? {}, pkg.devDependencies);
    for (const name of Object.keys(pkg.dependencies)) {
      assert.notEqual(lock.packages[`node_modules/${name}`]?.dev, true, `${name} would be left out by --omit=dev`);
    }
  });

  it('everything the image runs imports only its own files, Node built-ins and production dependencies', () => {
    const sources = new Map(
      imageFiles()
        .filter((f) => SOURCE_FILE.test(f.target))
        .map((f) => [f.target, readFileSync(repoPath(f.source), 'utf8')] as const),
    );
    assert.ok(sources.has('bin/gpmon.js') && sources.has('src/cli/serve-command.ts') && sources.has('journeys/golden-path.spec.ts'));
    const problems = checkImports(sources, new Set(Object.keys(pkg.dependencies)), { name: pkg.name, exports: pkg.exports });
    assert.deepEqual(problems, [], problems.map((p) => `${p.file}: ${p.specifier}: ${p.problem}`).join('\n'));
  });

  it('the import check catches a devDependency, a type-only import aside, a file the image lacks, and a subpath of the package itself it does not export', () => {
    const dev = Object.keys(pkg.devDependencies).find((name) => !name.startsWith('@types/')) ?? 'typescript';
    const sources = new Map([
      ['src/a.ts', `import { b } from './b.js';\nimport type { X } from '${dev}';\nexport const a = await import('${dev}/sub');`],
      ['src/b.ts', `export { c } from '../test/helpers/c.js';\nconst r = require.resolve('express');`],
    ]);
    sources.set('journeys/j.spec.ts', `import { defineJourney } from 'gpm/kit';\nimport { x } from 'gpm/internal';\nimport { y } from 'gpm/gone';`);
    const problems = checkImports(sources, new Set(['express']), { name: 'gpm', exports: { './kit': './src/a.ts', './gone': './src/gone.ts' } });
    assert.deepEqual(
      problems.map((p) => `${p.file} ${p.specifier}: ${p.problem}`),
      [
        `src/a.ts ${dev}/sub: package ${dev} is not in package.json "dependencies"`,
        'src/b.ts ../test/helpers/c.js: a file the image does not copy',
        'journeys/j.spec.ts gpm/internal: package.json "exports" has no ./internal',
        'journeys/j.spec.ts gpm/gone: ./src/gone.ts, which "exports" maps it to, is a file the image does not copy',
      ],
    );
  });
});

describe('YAML', () => {
  it('every YAML file of the packaging parses', () => {
    const files = packagingYamlFiles();
    assert.ok(files.includes('docker-compose.yml') && files.includes('deploy/prometheus/prometheus.yml'));
    for (const file of files) yamlDocuments(readFileSync(repoPath(file), 'utf8'), file);
  });
});

describe('docker-compose.yml', () => {
  const compose = readYaml('docker-compose.yml') as ComposeFile;
  const variables = gpmonVariables();

  it('runs the monitor built from the Dockerfile, Prometheus, Alertmanager and Grafana', () => {
    const gpmon = service(compose, 'gpmon');
    const context = typeof gpmon.build === 'string' ? gpmon.build : gpmon.build?.context;
    assert.equal(context, '.');
    assert.ok(existsSync(repoPath(typeof gpmon.build === 'object' ? gpmon.build.dockerfile ?? 'Dockerfile' : 'Dockerfile')));
    assert.match(service(compose, 'prometheus').image ?? '', /^prom\/prometheus:v\d/);
    assert.match(service(compose, 'alertmanager').image ?? '', /^prom\/alertmanager:v\d/);
    assert.match(service(compose, 'grafana').image ?? '', /^grafana\/grafana:\d/);
    const published = new Map(Object.entries(compose.services).map(([name, s]) => [name, (s.ports ?? []).map((p) => p.split(':').at(-1))]));
    const port = execForm(lastOf(image, 'CMD') ?? '[]').at(-1);
    assert.deepEqual(Object.fromEntries(published), { gpmon: [port], prometheus: ['9090'], alertmanager: ['9093'], grafana: ['3000'] });
  });

  it('mounts only files and folders that exist, and declares its named volumes', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const mount of mountsOf(s)) {
        if (mount.bind) assert.ok(existsSync(repoPath(mount.source)), `${name}: ${mount.source} does not exist`);
        else assert.ok(compose.volumes !== undefined && mount.source in compose.volumes, `${name}: volume ${mount.source} is not declared`);
      }
    }
    // gpmon's run history on a volume, where the image keeps it.
    assert.ok(mountsOf(service(compose, 'gpmon')).some((m) => !m.bind && m.target === '/app/runs'));
  });

  it('gpmon takes the target and secrets from the environment by name only, and watches the simulator without them', () => {
    const env = environmentOf(service(compose, 'gpmon'));
    for (const [name, value] of env) {
      assert.ok(variables.has(name), `${name} is not a variable gpmon reads`);
      assert.equal(value, undefined, `${name} has a value in docker-compose.yml: pass it through from the environment`);
    }
    for (const name of ['GPMON_API_TOKEN', 'GPMON_APP_URL', 'GPMON_AUTH_URL', 'GPMON_API_URL', 'GPMON_WS_URL', 'GPMON_LOGIN', 'GPMON_EMAIL', 'GPMON_BYPASS_KEY', 'GPMON_PASSWORD', 'GPMON_TARGET']) {
      assert.ok(env.has(name), `${name} is not passed through`);
    }
  });

  it("Prometheus's config, with the rules as mounted, passes promtool and loads alerts/*.rules.yml but no unit tests", () => {
    const prometheus = service(compose, 'prometheus');
    const configPath = commandFlag(prometheus, '--config.file') ?? '/etc/prometheus/prometheus.yml';
    const configFile = hostPathOf(prometheus, configPath);
    assert.equal(configFile, 'deploy/prometheus/prometheus.yml');
    const config = parseYaml(readFileSync(repoPath(configFile), 'utf8')) as { rule_files: string[]; [key: string]: unknown };
    // The rules' paths are the container's: check a copy with the repo's paths the mounts give.
    const ruleFiles = config.rule_files.map((glob) => {
      const host = hostPathOf(prometheus, glob);
      assert.ok(host !== undefined, `rule_files ${glob} is not under a mount of the prometheus service`);
      return repoPath(host);
    });
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-promcheck-'));
    try {
      const rendered = join(dir, 'prometheus.yml');
      writeFileSync(rendered, stringifyYaml({ ...config, rule_files: ruleFiles }));
      const result = spawnSync('promtool', ['check', 'config', rendered], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stdout + result.stderr);
      const checked = [...(result.stdout + result.stderr).matchAll(/Checking (\S+\.ya?ml)/g)].map((m) => m[1]).filter((f) => f !== rendered);
      const rules = readdirSync(repoPath('alerts')).filter((f) => f.endsWith('.rules.yml')).map((f) => repoPath('alerts', f));
      assert.ok(rules.length > 0, 'no alerts/*.rules.yml');
      assert.deepEqual(checked.sort(), rules.sort());
      assert.ok(!checked.some((f) => f?.endsWith('.test.yml')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Prometheus scrapes gpmon and alerts Alertmanager at their Compose names and ports, with a location label', () => {
    const config = readYaml('deploy/prometheus/prometheus.yml') as {
      global: { scrape_interval: string; external_labels?: Record<string, string> };
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const gpmonJob = config.scrape_configs.find((job) => job.job_name === 'gpmon');
    const port = execForm(lastOf(image, 'CMD') ?? '[]').at(-1);
    assert.deepEqual(gpmonJob?.static_configs.flatMap((s) => s.targets), [`gpmon:${port}`]);
    assert.deepEqual(config.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets)), ['alertmanager:9093']);
    for (const target of [...config.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets)), 'alertmanager:9093']) {
      const host = target.split(':')[0] ?? '';
      assert.ok(host === 'localhost' || host in compose.services, `${target} is no Compose service`);
    }
    assert.ok(Number.parseInt(config.global.scrape_interval, 10) <= 15, 'a scrape every 15 s or more often');
    assert.ok(config.global.external_labels?.location !== undefined);
    assert.ok(environmentOf(service(compose, 'prometheus')).get('GPMON_LOCATION') !== undefined, 'Compose gives the location label a default');
  });

  it("Alertmanager's config passes amtool and routes each severity to its receiver", () => {
    const alertmanager = service(compose, 'alertmanager');
    const configFile = hostPathOf(alertmanager, commandFlag(alertmanager, '--config.file') ?? '/etc/alertmanager/alertmanager.yml');
    assert.equal(configFile, 'deploy/alertmanager/alertmanager.yml');
    const check = spawnSync('amtool', ['check-config', repoPath(configFile)], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const route = (labels: string[]) => receiverFor(repoPath(configFile), labels);
    assert.equal(route(['alertname=GoldenPathDown', 'severity=page', 'journey=golden-path', 'target=staging']), 'page');
    assert.equal(route(['alertname=GoldenPathStepOverSLO', 'severity=ticket']), 'ticket');
    assert.equal(route(['alertname=GoldenPathRevisionChanged', 'severity=info']), 'null');
    assert.equal(route(['alertname=Other']), 'null');
    const config = readYaml(configFile) as { route: { group_by: string[] } };
    for (const label of ['alertname', 'journey', 'target']) assert.ok(config.route.group_by.includes(label), `not grouped by ${label}`);
  });

  it('every alert rule has a severity Alertmanager routes: page, ticket or info', () => {
    const routed: Record<string, string> = { page: 'page', ticket: 'ticket', info: 'null' };
    const rules = readdirSync(repoPath('alerts')).filter((f) => f.endsWith('.rules.yml'));
    assert.ok(rules.length > 0, 'no alerts/*.rules.yml');
    for (const file of rules) {
      const { groups } = readYaml(`alerts/${file}`) as { groups: { rules: { alert?: string; labels?: Record<string, string> }[] }[] };
      for (const rule of groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined)) {
        const severity = rule.labels?.severity ?? '';
        assert.ok(severity in routed, `${file}: ${rule.alert ?? ''} has severity "${severity}"`);
        const receiver = receiverFor(repoPath('deploy/alertmanager/alertmanager.yml'), [`alertname=${rule.alert ?? ''}`, `severity=${severity}`]);
        assert.equal(receiver, routed[severity], rule.alert);
      }
    }
  });

  it('Grafana gets the provisioning folder and the dashboards where its providers look', () => {
    const grafana = service(compose, 'grafana');
    assert.equal(hostPathOf(grafana, '/etc/grafana/provisioning'), 'deploy/grafana/provisioning');
    assert.equal(hostPathOf(grafana, '/var/lib/grafana/dashboards'), 'dashboards');
    // The providers and data sources (when written) point where Compose puts things.
    const provisioning = (kind: string): string[] => {
      const dir = repoPath('deploy/grafana/provisioning', kind);
      return existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => readFileSync(join(dir, f), 'utf8')) : [];
    };
    for (const text of provisioning('dashboards')) {
      const { providers } = parseYaml(text) as { providers?: { options?: { path?: string } }[] };
      for (const provider of providers ?? []) {
        const path = provider.options?.path ?? '';
        assert.ok(path.startsWith('/var/lib/grafana/dashboards'), `dashboard provider path ${path} is not mounted`);
      }
    }
    for (const text of provisioning('datasources')) {
      const { datasources } = parseYaml(text) as { datasources?: { url?: string }[] };
      for (const source of datasources ?? []) {
        if (source.url === undefined) continue;
        const url = new URL(source.url);
        const known: Record<string, string> = { prometheus: '9090', alertmanager: '9093', gpmon: '9595' };
        assert.equal(known[url.hostname], url.port, `data source ${source.url} is not a Compose service's address`);
      }
    }
  });
});

describe('Alertmanager with the Compose config', () => {
  let alertmanager: Service;
  let url = '';
  before(async () => {
    alertmanager = await startAlertmanager(repoPath('deploy/alertmanager/alertmanager.yml'));
    url = alertmanager.url;
  });
  after(async () => {
    await alertmanager.stop();
  });

  it('loads it, routes alerts by severity, and holds back a ticket while its journey pages', async () => {
    const labels = { journey: 'golden-path', target: 'staging', location: 'eu-west-1' };
    const alerts = [
      { labels: { alertname: 'GoldenPathDown', severity: 'page', step: 'connect', reason: 'ws_auth', ...labels } },
      { labels: { alertname: 'GoldenPathStepOverSLO', severity: 'ticket', step: 'login', reason: 'slow', ...labels } },
      { labels: { alertname: 'GoldenPathStepOverSLO', severity: 'ticket', step: 'login', reason: 'slow', ...labels, target: 'other' } },
      { labels: { alertname: 'GoldenPathRevisionChanged', severity: 'info', target: 'staging', revision: 'abc', version: '1' } },
    ];
    const posted = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
    assert.equal(posted.status, 200);
    type Seen = { labels: Record<string, string>; receivers: { name: string }[]; status: { inhibitedBy: string[] } };
    const deadline = Date.now() + 15_000;
    let seen: Seen[];
    const key = (a: { labels: Record<string, string> }) => `${a.labels.alertname ?? ''}/${a.labels.target ?? ''}`;
    for (;;) {
      seen = (await (await fetch(`${url}/api/v2/alerts`)).json()) as Seen[];
      const ticket = seen.find((a) => key(a) === 'GoldenPathStepOverSLO/staging');
      if (seen.length === alerts.length && ticket !== undefined && ticket.status.inhibitedBy.length > 0) break;
      if (Date.now() > deadline) break;
      await sleep(200);
    }
    const byKey = new Map(seen.map((a) => [key(a), a]));
    assert.deepEqual(byKey.get('GoldenPathDown/staging')?.receivers.map((r) => r.name), ['page']);
    assert.deepEqual(byKey.get('GoldenPathStepOverSLO/other')?.receivers.map((r) => r.name), ['ticket']);
    assert.deepEqual(byKey.get('GoldenPathRevisionChanged/staging')?.receivers.map((r) => r.name), ['null']);
    assert.equal(byKey.get('GoldenPathStepOverSLO/staging')?.status.inhibitedBy.length, 1, 'the ticket of the paging journey is held back');
    assert.equal(byKey.get('GoldenPathStepOverSLO/other')?.status.inhibitedBy.length, 0, 'another target is not');
    assert.equal(byKey.get('GoldenPathRevisionChanged/staging')?.status.inhibitedBy.length, 0, 'a revision change stays visible during a page');
  });
});

describe('Kubernetes manifests', () => {
  const dirs = kustomizations();
  const renders = new Map<string, K8sObject[]>();
  const haveKubectl = kustomize(dirs[0] ?? 'deploy/kubernetes/monitor') !== undefined;
  const skip = haveKubectl ? false : 'kubectl (with its built-in kustomize) is not installed';
  const secretExampleText = readFileSync(repoPath('deploy/kubernetes/common/secret.example.yaml'), 'utf8');
  const secretExample = readYaml('deploy/kubernetes/common/secret.example.yaml') as K8sObject;
  const secretKeys = new Set(Object.keys(secretExample.stringData ?? {}));
  const variables = gpmonVariables();
  const routes = servedRoutes();
  const render = (dir: string): K8sObject[] => {
    let objects = renders.get(dir);
    if (objects === undefined) {
      objects = kustomize(dir) ?? [];
      renders.set(dir, objects);
    }
    return objects;
  };
  const configMaps = (objects: readonly K8sObject[]) => new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));
  const gpmonContainer = (w: Workload): Container => {
    const container = w.template.spec.containers.find((c) => c.image.includes('golden-path-monitor'));
    assert.ok(container !== undefined, `${w.name}: no gpmon container`);
    return container;
  };
  /** The container's environment as the kubelet builds it, with stand-ins for the Secret's values. */
  const environment = (objects: readonly K8sObject[], template: PodTemplate, container: Container): Record<string, string> => {
    const maps = configMaps(objects);
    const env: Record<string, string> = {};
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef !== undefined) Object.assign(env, maps.get(from.configMapRef.name) ?? {});
    }
    for (const variable of container.env ?? []) {
      const source = variable.valueFrom;
      if (variable.value !== undefined) env[variable.name] = variable.value;
      else if (source?.secretKeyRef !== undefined) env[variable.name] = `secret-${source.secretKeyRef.key}`;
      else if (source?.fieldRef !== undefined) {
        const label = /^metadata\.labels\['([^']+)'\]$/.exec(source.fieldRef.fieldPath)?.[1];
        env[variable.name] = label === undefined ? '' : template.metadata?.labels?.[label] ?? '';
      }
    }
    return env;
  };
  /** The file a path in the container is, when a ConfigMap volume holds it. */
  const configFile = (objects: readonly K8sObject[], template: PodTemplate, container: Container, path: string): string | undefined => {
    for (const mount of container.volumeMounts ?? []) {
      if (!path.startsWith(`${mount.mountPath}/`)) continue;
      const volume = template.spec.volumes?.find((v) => v.name === mount.name);
      if (volume?.configMap === undefined) continue;
      return configMaps(objects).get(volume.configMap.name)?.[path.slice(mount.mountPath.length + 1)];
    }
    return undefined;
  };
  const scratch = mkdtempSync(join(tmpdir(), 'gpmon-k8s-'));
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });
  let configs = 0;
  /** Loads a config file's text with gpmon's own loader, as the container would. */
  const loadAsContainer = async (text: string, env: Record<string, string>) => {
    const dir = join(scratch, String(configs++));
    mkdirSync(dir);
    const file = join(dir, 'monitor.config.mjs');
    writeFileSync(file, text);
    return loadConfig(file, env, dir);
  };

  it('has the two variants and an overlay per location', () => {
    assert.ok(dirs.includes('deploy/kubernetes/monitor') && dirs.includes('deploy/kubernetes/push'));
    assert.ok(dirs.some((d) => d.includes('/overlays/')));
  });

  const isGpmon = (w: Workload) => w.template.spec.containers.some((c) => c.image.includes('golden-path-monitor'));
  for (const dir of dirs) {
    const rendered = haveKubectl ? render(dir) : [];
    const hasDeployment = workloads(rendered).some((w) => w.kind === 'Deployment' && isGpmon(w));
    const hasCronJobs = workloads(rendered).some((w) => w.kind === 'CronJob');
    describe(dir, { skip }, () => {
      it('selectors match the pods, Services target a named container port, ServiceMonitors a Service port', () => {
        const objects = render(dir);
        const all = workloads(objects);
        for (const w of all.filter((x) => x.kind === 'Deployment')) {
          const selector = (w.object.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
          assert.ok(matches(selector, w.template.metadata?.labels), `${w.name}: selector does not match its pods`);
        }
        const services = objects.filter((o) => o.kind === 'Service');
        assert.ok(services.length > 0);
        for (const s of services) {
          const spec = s.spec as { selector: Record<string, string>; ports: { name: string; targetPort: string | number }[] };
          const selected = all.filter((w) => w.kind === 'Deployment' && matches(spec.selector, w.template.metadata?.labels));
          assert.equal(selected.length, 1, `Service ${s.metadata.name} selects ${selected.length} Deployments`);
          const names = new Set(selected[0]?.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)));
          for (const port of spec.ports) assert.ok(typeof port.targetPort === 'string' && names.has(port.targetPort), `Service ${s.metadata.name}: targetPort ${String(port.targetPort)} is no named container port`);
        }
        for (const m of objects.filter((o) => o.kind === 'ServiceMonitor')) {
          assert.equal(m.apiVersion, 'monitoring.coreos.com/v1');
          const spec = m.spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path?: string }[] };
          const selected = services.filter((s) => matches(spec.selector.matchLabels, s.metadata.labels));
          assert.equal(selected.length, 1, `ServiceMonitor ${m.metadata.name} selects ${selected.length} Services`);
          const ports = new Set((selected[0]?.spec as { ports: { name: string }[] }).ports.map((p) => p.name));
          for (const endpoint of spec.endpoints) {
            assert.ok(ports.has(endpoint.port), `ServiceMonitor ${m.metadata.name}: port ${endpoint.port}`);
            assert.equal(endpoint.path ?? '/metrics', '/metrics');
          }
        }
        // Every object carries the app.kubernetes.io labels of what it belongs to.
        for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
          assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'golden-path-monitor', `${o.kind} ${o.metadata.name}`);
          assert.ok(o.metadata.labels?.['app.kubernetes.io/name'] !== undefined, `${o.kind} ${o.metadata.name}`);
        }
      });

      it('gpmon runs as uid 10001 (the image\'s user), non-root, on a read-only root filesystem, with resources', () => {
        const objects = render(dir);
        for (const w of workloads(objects)) {
          const pod = w.template.spec.securityContext;
          assert.equal(pod?.runAsNonRoot, true, w.name);
          for (const container of w.template.spec.containers) {
            const context = container.securityContext;
            assert.equal(context?.readOnlyRootFilesystem, true, `${w.name}/${container.name}`);
            assert.equal(context?.allowPrivilegeEscalation, false, `${w.name}/${container.name}`);
            assert.deepEqual(context?.capabilities?.drop, ['ALL']);
            assert.ok(container.resources?.requests?.memory !== undefined && container.resources.limits?.memory !== undefined, `${w.name}/${container.name}: resources`);
          }
          if (isGpmon(w)) {
            assert.equal(pod?.runAsUser, IMAGE_UID, `${w.name}: runAsUser`);
            assert.equal(pod.runAsGroup, IMAGE_UID, `${w.name}: runAsGroup`);
            assert.equal(pod.fsGroup, IMAGE_UID, `${w.name}: fsGroup`);
            // What gpmon and Chromium write goes to volumes (image-runtime.test.ts runs it so).
            const mounts = new Set((gpmonContainer(w).volumeMounts ?? []).map((m) => m.mountPath));
            for (const path of ['/app/runs', '/tmp']) assert.ok(mounts.has(path), `${w.name}: no volume at ${path}`);
          }
        }
      });

      it('sets only variables gpmon reads, secrets from gpmon-secrets by the keys secret.example.yaml documents', () => {
        const objects = render(dir);
        const maps = configMaps(objects);
        for (const w of workloads(objects).filter(isGpmon)) {
          const container = gpmonContainer(w);
          const names = new Set<string>();
          for (const from of container.envFrom ?? []) {
            assert.equal(from.secretRef, undefined, `${w.name}: secrets by name, not envFrom`);
            const map = from.configMapRef === undefined ? undefined : maps.get(from.configMapRef.name);
            assert.ok(map !== undefined, `${w.name}: envFrom a ConfigMap that is not there`);
            for (const key of Object.keys(map)) names.add(key);
          }
          for (const variable of container.env ?? []) {
            names.add(variable.name);
            const ref = variable.valueFrom?.secretKeyRef;
            if (ref === undefined) continue;
            assert.equal(ref.name, secretExample.metadata.name, `${w.name}: ${variable.name}`);
            // A required key is in the example; an optional one (one of two logins) at least in a comment of it.
            if (ref.optional === true) assert.ok(secretExampleText.includes(`${ref.key}:`), `${w.name}: ${ref.key} is not in secret.example.yaml`);
            else assert.ok(secretKeys.has(ref.key), `${w.name}: ${variable.name} reads key ${ref.key}, which secret.example.yaml does not set`);
          }
          for (const name of names) assert.ok(variables.has(name), `${w.name}: ${name} is not a variable gpmon reads`);
          for (const volume of w.template.spec.volumes ?? []) {
            if (volume.configMap !== undefined) assert.ok(maps.has(volume.configMap.name), `${w.name}: ConfigMap ${volume.configMap.name}`);
          }
        }
      });

      if (hasDeployment) it('the Deployment serves on its metrics port with probes on /healthz and /readyz, configured from its ConfigMap', async () => {
        const objects = render(dir);
        const deployments = workloads(objects).filter((w) => w.kind === 'Deployment' && isGpmon(w));
        for (const w of deployments) {
          const spec = w.object.spec as { replicas: number; strategy: { type: string } };
          assert.equal(spec.replicas, 1, 'one monitor: one writer for the SQLite history');
          assert.equal(spec.strategy.type, 'Recreate');
          const container = gpmonContainer(w);
          const port = container.ports?.find((p) => p.name === 'metrics')?.containerPort;
          assert.ok(port !== undefined);
          assert.deepEqual([container.livenessProbe?.httpGet?.path, container.readinessProbe?.httpGet?.path], ['/healthz', '/readyz']);
          for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
            if (probe === undefined) continue;
            assert.equal(probe.httpGet?.port, 'metrics');
            assert.ok(routes.has(probe.httpGet.path), `${probe.httpGet.path} is not a route of src/http/server.ts`);
          }
          const args = container.args ?? [];
          assert.equal(args[0], 'serve');
          const configPath = args[args.indexOf('--config') + 1] ?? '';
          const text = configFile(objects, w.template, container, configPath);
          assert.ok(text !== undefined, `${configPath} is not in a mounted ConfigMap`);
          const loaded = await loadAsContainer(text, environment(objects, w.template, container));
          assert.ok(loaded.ok, loaded.ok ? '' : loaded.problems.join('\n'));
          const { config } = loaded;
          assert.notEqual(config.targets, 'simulator', 'the Deployment watches the target from its environment');
          assert.equal(args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : config.server.port, port);
          assert.equal(args.includes('--host') ? args[args.indexOf('--host') + 1] : config.server.host, '0.0.0.0');
          const runsMount = container.volumeMounts?.find((m) => config.runs.database.startsWith(`${m.mountPath}/`) && config.runs.dir.startsWith(m.mountPath));
          const runsVolume = w.template.spec.volumes?.find((v) => v.name === runsMount?.name);
          assert.ok(runsVolume?.persistentVolumeClaim !== undefined, 'the history is on a PersistentVolumeClaim');
          assert.ok(objects.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === runsVolume.persistentVolumeClaim?.claimName));
        }
      });

      if (hasCronJobs) it('a CronJob per journey, each a valid `gpmon run --target env --push` to the Pushgateway, scheduled as its config says', async () => {
        const objects = render(dir);
        const cronJobs = workloads(objects).filter((w) => w.kind === 'CronJob');
        const flags = new Set([...RUN_USAGE.matchAll(/--[a-z-]+/g)].map((m) => m[0]));
        const journeys = new Set<string>();
        for (const w of cronJobs) {
          const spec = w.object.spec as { schedule: string; concurrencyPolicy: string; jobTemplate: { spec: { activeDeadlineSeconds?: number; backoffLimit?: number } } };
          const container = gpmonContainer(w);
          const args = container.args ?? [];
          assert.equal(args[0], 'run');
          const journey = SHIPPED.find((j) => j.name === args[1]);
          assert.ok(journey !== undefined, `${w.name}: unknown journey ${args[1] ?? ''}`);
          journeys.add(journey.name);
          for (const flag of args.filter((a) => a.startsWith('--'))) assert.ok(flags.has(flag), `${w.name}: gpmon run has no ${flag}`);
          assert.equal(args[args.indexOf('--target') + 1], 'env');
          const env = environment(objects, w.template, container);
          const target = targetFromEnv(env);
          assert.ok(target.ok, target.ok ? '' : target.problems.join('\n'));
          const push = new URL(args[args.indexOf('--push') + 1] ?? '');
          const gateway = objects.find((o) => o.kind === 'Service' && o.metadata.name === push.hostname);
          assert.ok(gateway !== undefined, `${w.name}: --push ${push.href}: no Service ${push.hostname}`);
          assert.ok((gateway.spec as { ports: { port: number }[] }).ports.some((p) => String(p.port) === push.port));
          assert.equal(spec.concurrencyPolicy, 'Forbid');
          assert.equal(spec.jobTemplate.spec.backoffLimit, 0, 'a failed run is a result, not retried');
          assert.equal(w.template.spec.restartPolicy, 'Never');
          const interval = cronIntervalSeconds(spec.schedule);
          const deadline = spec.jobTemplate.spec.activeDeadlineSeconds ?? 0;
          assert.ok(deadline > journey.timeoutMs / 1000, `${w.name}: activeDeadlineSeconds ${deadline} is shorter than the journey's timeout`);
          assert.ok(deadline < 3 * interval, `${w.name}: a stuck run is cut before it would look stale`);
          // The pushed schedule interval (what staleness is measured in) is the CronJob's.
          const configPath = args[args.indexOf('--config') + 1] ?? '';
          const text = configFile(objects, w.template, container, configPath);
          assert.ok(text !== undefined, `${w.name}: ${configPath} is not in a mounted ConfigMap`);
          const loaded = await loadAsContainer(text, env);
          assert.ok(loaded.ok, loaded.ok ? '' : loaded.problems.join('\n'));
          const configured = loaded.config.journeys.find((j) => j.definition.name === journey.name);
          assert.equal(cronIntervalSeconds(configured?.schedule ?? ''), interval, `${w.name}: config schedule ${configured?.schedule ?? ''} vs CronJob ${spec.schedule}`);
          assert.ok(Object.hasOwn(env, 'GPMON_LOCATION'), `${w.name}: no GPMON_LOCATION`);
        }
        assert.deepEqual([...journeys].sort(), SHIPPED.map((j) => j.name).sort());
      });

      if (dir.includes('/overlays/')) it('an overlay puts every object in its namespace and its location label on every object and pod', () => {
        const objects = render(dir);
        const location = objects.find((o) => o.kind !== 'Namespace')?.metadata.labels?.location;
        assert.ok(location !== undefined && location !== '');
        const namespace = objects.find((o) => o.kind === 'Namespace')?.metadata.name;
        assert.ok(namespace !== undefined);
        for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
          assert.equal(o.metadata.namespace, namespace, `${o.kind} ${o.metadata.name}`);
          assert.equal(o.metadata.labels?.location, location, `${o.kind} ${o.metadata.name}`);
        }
        for (const w of workloads(objects)) assert.equal(w.template.metadata?.labels?.location, location, `${w.name}: pods`);
        for (const m of objects.filter((o) => o.kind === 'ServiceMonitor' && o.metadata.name === 'gpmon')) {
          assert.ok((m.spec as { podTargetLabels?: string[] }).podTargetLabels?.includes('location'), 'the location label reaches every series');
        }
        for (const w of workloads(objects).filter((x) => x.kind === 'CronJob')) {
          assert.equal(environment(objects, w.template, gpmonContainer(w)).GPMON_LOCATION, location, `${w.name}: GPMON_LOCATION`);
        }
      });
    });
  }
});
