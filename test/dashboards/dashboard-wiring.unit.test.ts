import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { allPanels, dashboardFiles, dataPanels, DASHBOARD_DIR, ROOT, variableQuery, variables, type Dashboard, type DataSourceRef } from './dashboard-model.js';

/**
 * How the dashboards reach Grafana and read there: one data source variable
 * that works both when the JSON is imported through the UI (with __inputs)
 * and when Compose provisions it from files (where __inputs are never
 * substituted); the provisioning files; and the layout an on-call engineer
 * reads top-down, with a unit and readable legends on every panel.
 */

const dashboards = dashboardFiles();
const PROVISIONING = join(ROOT, 'deploy', 'grafana', 'provisioning');
const readYaml = (path: string) => parseYaml(readFileSync(path, 'utf8')) as unknown;

function datasourceVariable(dashboard: Dashboard) {
  const found = variables(dashboard).filter((v) => v.type === 'datasource');
  assert.equal(found.length, 1, 'one data source variable');
  const [variable] = found;
  assert.ok(variable !== undefined);
  return variable;
}

/** Every data source reference in the dashboard: panels, their targets, variables, annotations (Grafana's built-in one aside). */
function datasourceRefs(dashboard: Dashboard): { where: string; ref: DataSourceRef | null | undefined }[] {
  const refs: { where: string; ref: DataSourceRef | null | undefined }[] = [];
  for (const panel of dataPanels(dashboard)) {
    refs.push({ where: `panel "${panel.title ?? panel.id}"`, ref: panel.datasource });
    for (const target of panel.targets ?? []) refs.push({ where: `panel "${panel.title ?? panel.id}" ${target.refId}`, ref: target.datasource });
  }
  for (const variable of variables(dashboard)) if (variable.type === 'query') refs.push({ where: `variable $${variable.name}`, ref: variable.datasource });
  for (const annotation of dashboard.annotations?.list ?? []) if (annotation.builtIn !== 1) refs.push({ where: `annotation ${annotation.name}`, ref: annotation.datasource });
  return refs;
}

/** Grafana's file provider: every *.json below the path, folders whose name starts with "." skipped (pkg/services/provisioning/dashboards/file_reader.go). */
function filesGrafanaProvisions(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name.startsWith('.') ? [] : filesGrafanaProvisions(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

describe('dashboard wiring', () => {
  for (const { file, text, json } of dashboards) {
    describe(file, () => {
      it('every query goes through the ${datasource} variable, a Prometheus data source', () => {
        const variable = datasourceVariable(json);
        assert.equal(variable.query, 'prometheus');
        for (const { where, ref } of datasourceRefs(json)) assert.deepEqual(ref, { type: 'prometheus', uid: `\${${variable.name}}` }, where);
      });

      it('imported through the UI, the chosen data source becomes the variable’s default', () => {
        const inputs = json.__inputs ?? [];
        assert.deepEqual(inputs.map((i) => [i.type, i.pluginId]), [['datasource', 'prometheus']]);
        const input = inputs[0]?.name ?? '';
        const variable = datasourceVariable(json);
        assert.equal(variable.current?.value, `\${${input}}`, 'the variable defaults to the input');
        // Grafana's import replaces ${INPUT} in every string of the JSON (dash_template_evaluator.go).
        const imported = JSON.parse(text.replaceAll(`\${${input}}`, 'P1809F7CD0C75ACF3')) as Dashboard;
        assert.equal(datasourceVariable(imported).current?.value, 'P1809F7CD0C75ACF3');
        assert.doesNotMatch(JSON.stringify({ ...imported, __inputs: [] }), /\$\{DS_/);
      });

      it('provisioned from the file, nothing refers to an input Grafana never substitutes there', () => {
        // Provisioning leaves ${DS_…} as it is: a panel naming it directly fails with "Datasource ${DS_…} was not found".
        // Only the variable's default does, and a datasource variable whose value is not a data source takes the first one.
        const inputs = new Set((json.__inputs ?? []).map((i) => i.name));
        const names = new Set(variables(json).map((v) => v.name));
        for (const { where, ref } of datasourceRefs(json)) {
          const name = /^\$\{(\w+)\}$/.exec(ref?.uid ?? '')?.[1];
          assert.ok(name !== undefined && names.has(name) && !inputs.has(name), `${where} names ${ref?.uid ?? 'nothing'}`);
        }
      });

      it('__requires lists the panel types it uses, Prometheus, and the Grafana the stack runs', () => {
        const requires = json.__requires ?? [];
        const panels = requires.filter((r) => r.type === 'panel').map((r) => r.id).sort();
        assert.deepEqual(panels, [...new Set(dataPanels(json).map((p) => p.type))].sort());
        assert.ok(requires.some((r) => r.type === 'datasource' && r.id === 'prometheus'));
        const grafana = requires.find((r) => r.type === 'grafana');
        assert.ok(grafana !== undefined);
        const image = /image:\s*grafana\/grafana(?:-oss)?:(\S+)/.exec(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'))?.[1];
        assert.equal(grafana.version, image, 'the Grafana version docker-compose.yml runs');
      });

      it('template variables: target and journey (multi, All) from the monitor’s metrics; step follows them', () => {
        const byName = new Map(variables(json).map((v) => [v.name, v]));
        for (const name of ['target', 'journey', 'step']) {
          const variable = byName.get(name);
          assert.ok(variable !== undefined, name);
          assert.equal(variable.type, 'query');
          assert.equal(variable.multi, true, name);
          assert.equal(variable.includeAll, true, name);
          assert.match(variableQuery(variable) ?? '', /^label_values\(synthetic_\w+/, name);
        }
        assert.match(variableQuery(byName.get('journey') ?? { name: '', type: '' }) ?? '', /\$target/);
        assert.match(variableQuery(byName.get('step') ?? { name: '', type: '' }) ?? '', /\$journey/);
        const names = variables(json).map((v) => v.name);
        assert.ok(names.indexOf('target') < names.indexOf('journey') && names.indexOf('journey') < names.indexOf('step'), 'each after what it depends on');
      });

      it('every panel has a title, a description, a unit, and a legend per query; ids are unique', () => {
        const ids = allPanels(json).map((p) => p.id);
        assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
        for (const panel of dataPanels(json)) {
          const where = `panel "${panel.title ?? panel.id}"`;
          assert.ok((panel.title ?? '') !== '', `${where}: title`);
          assert.ok((panel.description ?? '').length > 20, `${where}: description`);
          assert.ok((panel.fieldConfig?.defaults.unit ?? '') !== '', `${where}: unit`);
          for (const target of panel.targets ?? []) {
            const legend = target.legendFormat ?? '';
            assert.ok(legend !== '' && legend !== '__auto', `${where} ${target.refId}: legend`);
          }
        }
      });

      it('the layout: rows in on-call order, panels inside the grid and not overlapping', () => {
        const rows = allPanels(json).filter((p) => p.type === 'row').map((p) => p.title);
        assert.deepEqual(rows, ['Is the golden path up?', 'Which step?', 'Why?', 'How fast?', 'Platform: infrastructure and deploys', 'Monitor']);
        const boxes = allPanels(json).map((p) => ({ title: p.title ?? String(p.id), ...(p.gridPos ?? { x: -1, y: -1, w: 0, h: 0 }) }));
        for (const box of boxes) assert.ok(box.x >= 0 && box.w > 0 && box.h > 0 && box.x + box.w <= 24, `${box.title}: ${JSON.stringify(box)}`);
        for (const [i, a] of boxes.entries()) {
          for (const b of boxes.slice(i + 1)) {
            const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            assert.ok(!overlap, `${a.title} overlaps ${b.title}`);
          }
        }
        // Top-down: the first thing on screen answers "is it up?".
        const first = dataPanels(json).sort((a, b) => (a.gridPos?.y ?? 0) - (b.gridPos?.y ?? 0) || (a.gridPos?.x ?? 0) - (b.gridPos?.x ?? 0))[0];
        assert.match(first?.targets?.[0]?.expr ?? '', /synthetic_journey_success/);
      });

      it('links to the gpmon console: a hidden variable from synthetic_monitor_links_info, a dashboard link, and data links on the journey and step panels', () => {
        const byName = new Map(variables(json).map((v) => [v.name, v]));
        for (const name of ['console_url', 'runbook_url']) {
          const variable = byName.get(name);
          assert.ok(variable !== undefined, name);
          assert.equal(variableQuery(variable), `label_values(synthetic_monitor_links_info, ${name})`, name);
          assert.equal(variable.hide, 2, `${name} is hidden: a value to build links with, not a choice`);
          assert.equal(variable.multi, false, name);
          assert.equal(variable.includeAll, false, name);
        }
        const links = (json.links ?? []) as { type: string; url?: string; title: string; targetBlank: boolean }[];
        assert.deepEqual(links.map((l) => [l.type, l.url, l.targetBlank]), [['link', '${console_url}/', true], ['link', '${runbook_url}', true]]);
        // Journey names are lower-case words and dashes, target names letters, digits, - and _ (config validation): safe in a URL as they are.
        const toJourney = '${console_url}/journeys/${__field.labels.journey}?target=${__field.labels.target}';
        const dataLinks = (title: string) => {
          const panel = dataPanels(json).find((p) => p.title === title);
          assert.ok(panel !== undefined, title);
          return ((panel.fieldConfig?.defaults as { links?: { url: string; title: string }[] }).links ?? []).map((l) => l.url);
        };
        for (const title of ['Last run', 'Passed runs (time range)', 'Failed runs in a row', 'Last run age', 'Last success age', 'Journey result over time', 'Paused', 'Step result (last run)']) {
          assert.deepEqual(dataLinks(title), [toJourney], title);
        }
        assert.deepEqual(dataLinks('Failing now'), ['${console_url}/journeys/${__data.fields.journey}/last-failure?target=${__data.fields.target}']);
        // Every variable a link uses is the dashboard's own or Grafana's per-value one.
        const defined = new Set(variables(json).map((v) => v.name));
        const urls = [...links.map((l) => l.url ?? ''), ...dataPanels(json).flatMap((p) => ((p.fieldConfig?.defaults as { links?: { url: string }[] }).links ?? []).map((l) => l.url))];
        for (const url of urls) {
          for (const [, name] of url.matchAll(/\$\{([\w.]+)(?::\w+)?\}/g)) assert.ok(defined.has(name ?? '') || /^__(field\.labels|data\.fields)\.\w+$/.test(name ?? ''), `${url}: $\{${name ?? ''}}`);
        }
      });

      it('the step latency panels draw the SLO from config as a dashed series', () => {
        const latency = dataPanels(json).filter((p) => (p.targets ?? []).some((t) => (t.expr ?? '').includes('synthetic_step_duration_seconds_bucket')));
        assert.ok(latency.length > 0);
        for (const panel of latency) {
          const slo = panel.targets?.find((t) => (t.expr ?? '').includes('synthetic_step_slo_seconds'));
          assert.ok(slo !== undefined, `${panel.title ?? ''}: an SLO series`);
          const dashed = panel.fieldConfig?.overrides.find((o) => o.matcher.id === 'byFrameRefID' && o.matcher.options === slo.refId)?.properties.find((p) => p.id === 'custom.lineStyle');
          assert.deepEqual((dashed?.value as { fill?: string } | undefined)?.fill, 'dash');
          for (const quantile of ['0.5', '0.95', '0.99']) assert.ok(panel.targets?.some((t) => (t.expr ?? '').includes(`histogram_quantile(${quantile},`)), `p${quantile}`);
        }
      });
    });
  }

  it('Grafana’s file provider, walking dashboards/ as Compose mounts it, finds only dashboards', () => {
    for (const path of filesGrafanaProvisions(DASHBOARD_DIR)) {
      const json = JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
      const name = relative(ROOT, path);
      assert.ok(typeof json.title === 'string' && json.title !== '' && typeof json.uid === 'string' && json.uid !== '', `${name} would be loaded as a dashboard`);
    }
    assert.deepEqual(filesGrafanaProvisions(DASHBOARD_DIR).map((p) => relative(DASHBOARD_DIR, p)).sort(), dashboards.map((d) => d.file).sort());
    const uids = dashboards.map((d) => d.json.uid);
    assert.equal(new Set(uids).size, uids.length, 'unique dashboard uids');
  });

  it('provisioning: the Prometheus data source (uid prometheus, default) and the dashboards folder Compose mounts', () => {
    const datasources = readYaml(join(PROVISIONING, 'datasources', 'prometheus.yaml')) as { apiVersion: number; datasources: Record<string, unknown>[] };
    assert.equal(datasources.apiVersion, 1);
    assert.equal(datasources.datasources.length, 1);
    const prometheus = datasources.datasources[0] ?? {};
    assert.deepEqual([prometheus.type, prometheus.uid, prometheus.url, prometheus.isDefault, prometheus.access], ['prometheus', 'prometheus', 'http://prometheus:9090', true, 'proxy']);
    const scrape = join(ROOT, 'deploy', 'prometheus', 'prometheus.yml');
    if (existsSync(scrape)) {
      // $__rate_interval is built from this: it must be the interval Prometheus really scrapes at.
      const interval = (readYaml(scrape) as { global?: { scrape_interval?: string } }).global?.scrape_interval;
      assert.equal((prometheus.jsonData as { timeInterval?: string } | undefined)?.timeInterval, interval);
    }

    const providers = readYaml(join(PROVISIONING, 'dashboards', 'gpmon.yaml')) as { apiVersion: number; providers: { type: string; options: { path: string } }[] };
    assert.equal(providers.apiVersion, 1);
    assert.deepEqual(providers.providers.map((p) => [p.type, p.options.path]), [['file', '/var/lib/grafana/dashboards']]);
    const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    assert.match(text, /- \.\/dashboards:\/var\/lib\/grafana\/dashboards(:ro)?\s/, 'Compose mounts dashboards/ where the provider reads');
    assert.match(text, /- \.\/deploy\/grafana\/provisioning:\/etc\/grafana\/provisioning(:ro)?\s/, 'Compose mounts the provisioning folder');
  });
});
