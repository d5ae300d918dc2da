/**
 * The TypeScript types `scripts/gen-dashboard-schema.ts` turns into
 * `dashboards/.schema/dashboard.schema.json`. Types only: nothing here runs.
 *
 * The model is `@grafana/schema`'s classic (v1) `Dashboard`, unchanged but for
 * two things the package's TypeScript cannot say:
 * - the export envelope (`__inputs`, `__requires`, `__elements`) that Grafana's
 *   "Export for sharing externally" adds and its import form reads; the shapes
 *   follow Grafana's exporter (DashboardExporter.ts);
 * - the structs Grafana's CUE source leaves open (`...`): a data source spreads
 *   its own fields into a variable (a query variable's `definition`), an
 *   annotation (Prometheus' `titleFormat`, `tagKeys`) and the annotation's
 *   target (`expr`). cuetsy drops the `...`, so the generated types would
 *   reject what Grafana itself writes there. Everything else stays closed, so
 *   a misspelt key anywhere else fails validation.
 */
import type { AnnotationQuery, Dashboard, DataQuery, TableOptions, VariableModel } from '@grafana/schema';
import type * as bargauge from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type * as stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as statetimeline from '@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen';
import type * as table from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type * as timeseries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

/** A value the import form asks for; `${name}` is replaced with it throughout the dashboard. */
export interface DashboardInput {
  name: string;
  label: string;
  description: string;
  type: 'datasource' | 'constant';
  pluginId?: string;
  pluginName?: string;
  value?: string;
}

/** A plugin or Grafana version the dashboard was built for (shown by the import form). */
export interface DashboardRequirement {
  type: 'grafana' | 'panel' | 'datasource';
  id: string;
  name: string;
  version: string;
}

export interface OpenDataQuery extends DataQuery {
  [key: string]: unknown;
}

export interface OpenAnnotationQuery extends Omit<AnnotationQuery, 'target'> {
  target?: OpenDataQuery;
  [key: string]: unknown;
}

export interface OpenVariableModel extends VariableModel {
  [key: string]: unknown;
}

export interface ImportableDashboard extends Omit<Dashboard, 'templating' | 'annotations'> {
  __inputs?: DashboardInput[];
  __requires?: DashboardRequirement[];
  __elements?: Record<string, unknown>;
  templating?: { list?: OpenVariableModel[] };
  annotations?: { list?: OpenAnnotationQuery[] };
}

/** A panel type without custom field options. */
export type NoCustomFieldConfig = Record<string, never>;

/**
 * A panel plugin's own part of a panel: `options`, `fieldConfig.defaults.custom`,
 * and the plugin version these schemas describe (Grafana migrates a panel saved
 * by an older plugin first, so a panel must say which version it was written
 * for). The generator pins `pluginVersion` to the package's value: the
 * generator cannot read a `declare const` through `typeof`.
 */
export interface PanelConfig<Options, Custom> {
  options: Options;
  custom: Custom;
  pluginVersion: string;
}

/** The panel types the dashboards may use; a new type is added here and in the generator's PANEL_MODULES. */
export interface PanelConfigs {
  bargauge: PanelConfig<bargauge.Options, NoCustomFieldConfig>;
  stat: PanelConfig<stat.Options, NoCustomFieldConfig>;
  'state-timeline': PanelConfig<statetimeline.Options, statetimeline.FieldConfig>;
  // The table's panelcfg Options is deprecated in favour of common's TableOptions (the same shape).
  table: PanelConfig<TableOptions, table.FieldConfig>;
  timeseries: PanelConfig<timeseries.Options, timeseries.FieldConfig>;
}

/** The generator's one root (one type-checked program, one pass); it writes the two parts as separate definitions. */
export interface DashboardSchemas {
  dashboard: ImportableDashboard;
  panels: PanelConfigs;
}
