/**
 * What people see: tables and pictures for notebooks (through `Symbol.for("Jupyter.display")`, so nothing
 * touches `Deno.jupyter` at import time), the same tables as text for the terminal, maximum-intensity
 * projections and histograms, live progress in a notebook or on stderr, and the notebook settings read from
 * the environment. Public as `@spimfetch/spimfetch/display`.
 *
 * @module
 */
export {
  assetsTable,
  type AssetsTableOptions,
  channelsTable,
  Display,
  escapeHtml,
  htmlTable,
  type HtmlTableOptions,
  JUPYTER_DISPLAY,
  levelsTable,
  type LevelsTableOptions,
  type MimeBundle,
  orientationView,
} from "./display.ts";
export {
  histogramView,
  type HistogramViewOptions,
  projectionsView,
  type ProjectionsViewOptions,
} from "./figures.ts";
export { formatAssets, formatChannels, formatLevels, formatOrientation, formatTable } from "./format.ts";
export { type JupyterDisplayApi, settle, show, type ShowOptions } from "./jupyter.ts";
export {
  type NotebookProgress,
  notebookProgress,
  type NotebookProgressOptions,
} from "./notebook_progress.ts";
export {
  ENV_VARIABLES,
  type NotebookSettings,
  settingsFromEnv,
  type SettingsFromEnvOptions,
} from "./notebook_settings.ts";
export {
  encodePng,
  type GrayRaster,
  type ProjectionsImage,
  type RenderPlanesOptions,
  renderProjectionPlanes,
  renderProjections,
} from "./png.ts";
export {
  type Histogram,
  intensityHistogram,
  intensityPercentiles,
  maxIntensityProjections,
  type PercentileOptions,
  type PixelRect,
  type ProjectionLayout,
  type ProjectionPlane,
  type Projections,
} from "./preview.ts";
export { previewLevels, type PreviewLevelsOptions, previewRegion } from "./preview_levels.ts";
export type { ProgressEvent } from "../core/progress_event.ts";
export { formatBytes } from "../core/bytes.ts";
export {
  createProgressReporter,
  type ProgressReporterOptions,
  renderProgressBar,
  renderProgressLine,
} from "./progress.ts";
export {
  caveatsView,
  CCF_EXTENT_MM,
  ccfExtentView,
  type CcfExtentViewOptions,
  orientationCodesView,
} from "./registration_views.ts";
export { type CcfSlices, ccfSlicesView, readCcfSlices } from "./ccf_views.ts";
export {
  brainInCcfTable,
  ccfPointsTable,
  ccfSpaceTable,
  csvTable,
  registrationTable,
  roundTripTable,
} from "./ccf_tables.ts";
export { exportTable, type ExportTableOptions } from "./export_table.ts";
export { affineTable, cellText, factsTable, type FactsTableOptions, recordsTable } from "./facts.ts";
export {
  cellDensityMap,
  cohortHeatmap,
  regionsTable,
  type RegionsTableOptions,
  sourcesTable,
} from "./cells_views.ts";
