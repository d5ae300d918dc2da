import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { SCHEMA_PATH, generateDashboardSchema, serialise } from '../../scripts/gen-dashboard-schema.js';
import { dashboardFiles, dataPanels, type Dashboard, type Panel } from './dashboard-model.js';

/**
 * Every dashboard is a valid Grafana dashboard: the classic model from
 * @grafana/schema (as JSON schema, dashboards/.schema/dashboard.schema.json),
 * and each panel's own options and field config from its plugin's schema in
 * @grafana/schema (raw/composable/<panel>/panelcfg). The committed schema is
 * what the generator makes from the installed package.
 */

const schemaText = readFileSync(SCHEMA_PATH, 'utf8');
// Strict, so a keyword ajv does not know is an error; the generator writes type unions (`["number", "string"]`), which are plain JSON schema.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addSchema(JSON.parse(schemaText) as object, 'dashboard');

function validator(ref: string): ValidateFunction {
  const validate = ajv.getSchema(ref);
  if (validate === undefined) throw new Error(`no schema at ${ref}`);
  return validate;
}

const validateDashboard = validator('dashboard');

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
}

/** The JSON schema of a panel type's options, custom field config and plugin version; undefined for a type the schema does not know. */
function panelValidator(type: string): ValidateFunction | undefined {
  return ajv.getSchema(`dashboard#/definitions/PanelConfigs/properties/${type.replace(/~/g, '~0').replace(/\//g, '~1')}`);
}

/** The schema below a validator's root at a path of property names, or undefined. */
function subschemaRef(base: string, path: readonly string[]): ValidateFunction | undefined {
  return ajv.getSchema(`${base}/${path.map((p) => `properties/${p}`).join('/')}`);
}

/** Where the dashboard schema describes fieldConfig.defaults (a panel is the first anyOf branch; rows are the second). */
const FIELD_DEFAULTS = 'dashboard#/definitions/ImportableDashboard/properties/panels/items/anyOf/0/properties/fieldConfig/properties/defaults';

/** Problems with one panel's plugin-specific parts: options, custom defaults, plugin version, override values. */
function panelProblems(panel: Panel): string[] {
  const where = `panel "${panel.title ?? panel.id}" (${panel.type})`;
  const validate = panelValidator(panel.type);
  if (validate === undefined) return [`${where}: no panelcfg schema for this type; add it to PanelConfigs in scripts/dashboard-schema-types.ts`];
  const problems: string[] = [];
  const custom = panel.fieldConfig?.defaults.custom ?? {};
  if (!validate({ options: panel.options, custom, pluginVersion: panel.pluginVersion })) problems.push(`${where}:\n${describeErrors(validate.errors)}`);
  for (const override of panel.fieldConfig?.overrides ?? []) {
    for (const property of override.properties) {
      const [head, ...rest] = property.id.split('.');
      const ref =
        head === 'custom'
          ? subschemaRef(`dashboard#/definitions/PanelConfigs/properties/${panel.type}/properties/custom`, rest)
          : subschemaRef(FIELD_DEFAULTS, [property.id]);
      if (ref === undefined) {
        problems.push(`${where}: override property ${property.id} is not a field config option of this panel`);
        continue;
      }
      if (!ref(property.value)) problems.push(`${where}: override ${property.id}:\n${describeErrors(ref.errors)}`);
    }
  }
  return problems;
}

function dashboardProblems(dashboard: Dashboard): string[] {
  const problems = validateDashboard(dashboard) ? [] : [describeErrors(validateDashboard.errors)];
  return [...problems, ...dataPanels(dashboard).flatMap(panelProblems)];
}

const dashboards = dashboardFiles();
const clone = (dashboard: Dashboard) => structuredClone(dashboard);

describe('dashboard schema', () => {
  it('there are dashboards, and the schema is @grafana/schema’s dashboard model with panel schemas', () => {
    assert.ok(dashboards.length > 0);
    assert.ok(panelValidator('timeseries') !== undefined && panelValidator('stat') !== undefined);
  });

  for (const { file, json } of dashboards) {
    it(`${file} is a valid Grafana dashboard, and each panel valid for its plugin`, () => {
      assert.deepEqual(dashboardProblems(json), []);
    });
  }

  it('rejects what Grafana would not load: unknown keys, wrong types, bad panel options and overrides', () => {
    const base = dashboards[0]?.json;
    assert.ok(base !== undefined);
    const firstOf = (dashboard: Dashboard, type: string) => {
      const panel = dataPanels(dashboard).find((p) => p.type === type);
      assert.ok(panel !== undefined, `a ${type} panel`);
      return panel;
    };
    const broken: [string, (d: Dashboard) => void, RegExp][] = [
      ['a misspelt panel key', (d) => Object.assign(firstOf(d, 'timeseries'), { gridpos: { x: 0, y: 0, w: 1, h: 1 } }), /additional properties/],
      ['a row without its panels', (d) => delete (d.panels?.find((p) => p.type === 'row') as Partial<Panel>).panels, /panels/],
      ['schemaVersion as a string', (d) => (d.schemaVersion = '42'), /must be number/],
      ['a stat colour mode Grafana has not got', (d) => ((firstOf(d, 'stat').options ?? {}).colorMode = 'rainbow'), /allowed values/],
      ['a time series legend without its placement', (d) => delete ((firstOf(d, 'timeseries').options ?? {}).legend as Record<string, unknown>).placement, /placement/],
      ['a custom field option the plugin does not have', (d) => ((firstOf(d, 'timeseries').fieldConfig?.defaults.custom ?? {}).lineDash = 2), /additional properties/],
      ['an override setting an unknown option', (d) => firstOf(d, 'timeseries').fieldConfig?.overrides.push({ matcher: { id: 'byName', options: 'x' }, properties: [{ id: 'custom.lineDash', value: 1 }] }), /not a field config option/],
      ['an override with a bad value', (d) => firstOf(d, 'timeseries').fieldConfig?.overrides.push({ matcher: { id: 'byName', options: 'x' }, properties: [{ id: 'custom.lineStyle', value: { fill: 'wavy' } }] }), /allowed values/],
      ['a panel from another plugin version', (d) => (firstOf(d, 'stat').pluginVersion = '10.0.0'), /constant/],
      ['a panel type without a schema', (d) => (firstOf(d, 'stat').type = 'gauge'), /no panelcfg schema/],
    ];
    for (const [what, breakIt, expected] of broken) {
      const copy = clone(base);
      breakIt(copy);
      const problems = dashboardProblems(copy).join('\n');
      assert.match(problems, expected, what);
    }
  });

  it('the committed schema is what the generator makes from the installed @grafana/schema', async () => {
    const started = Date.now();
    const fresh = serialise(await generateDashboardSchema());
    const seconds = (Date.now() - started) / 1000;
    assert.ok(fresh === schemaText, `${SCHEMA_PATH} is stale: run npm run gen:dashboard-schema`);
    assert.ok(seconds < 60, `generation took ${seconds} s`);
  });
});
