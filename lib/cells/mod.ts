/**
 * Cells in the Allen CCF: the step after CCF. Reads what AIND's pipeline
 * wrote for a segmented SmartSPIM asset, every era (detections in
 * `image_cell_segmentation/<channel>/`, cells in CCF and region counts in
 * `image_cell_quantification/<channel>/`), the CCF annotation and ontology
 * from the Allen Brain Cell Atlas bucket, and counts cells per structure
 * ourselves through the asset's CCF space (`--recount`), beside AIND's count.
 * Public as `@spimfetch/spimfetch/cells`.
 *
 * @example The tidy table of a subject's counts
 * ```ts ignore
 * import { formatCsv, readCellsInCcf } from "@spimfetch/spimfetch/cells";
 * const cells = await readCellsInCcf({ subject: "714778" }, { recount: true });
 * console.log(formatCsv(cells.channels.flatMap((c) => c.rows)));
 * ```
 *
 * @example Left vs right from a table of rows
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { type CountRow, filterRows } from "@spimfetch/spimfetch/cells";
 * const row = (hemisphere: CountRow["hemisphere"], count: number): CountRow => ({
 *   subject: "1", channel: "c", structure_id: 385, acronym: "VISp", name: "Primary visual area",
 *   parent_id: 315, depth: 3, hemisphere, count, volume_mm3: 1, density_per_mm3: count, source: "aind",
 * });
 * assertEquals(filterRows([row("left", 3), row("right", 4)], { regions: ["VISp"], depth: 3 }).length, 2);
 * ```
 *
 * @module
 */
export {
  BATCH_CELLS,
  DETECTION_FILES,
  type DetectionBatch,
  type DetectionFile,
  type Detections,
  type DetectionStream,
  parseCellfinderXml,
  parseDetectionsCsv,
  type ReadCellsOptions,
  readDetections,
  streamCellfinderXml,
  streamDetections,
  streamDetectionsCsv,
} from "./detections.ts";
export {
  CCF_25_EXTENT,
  decideOrder,
  parseTransformedCells,
  type QuantificationFacts,
  quantificationFacts,
  readTransformedCells,
  streamTransformed,
  streamTransformedCells,
  type TransformedCells,
  type TransformedOrder,
  type TransformedStream,
} from "./transformed.ts";
export {
  type AindRegionCount,
  type AindRegionCounts,
  parseRegionCounts,
  readRegionCounts,
  type RegionCountsLayout,
} from "./region_counts.ts";
export {
  ancestorsOf,
  type Atlas,
  ATLAS_BUCKET,
  ATLAS_KEYS,
  decodeAnnotation,
  MIDLINE_UM,
  type Ontology,
  openAtlas,
  type OpenAtlasOptions,
  openOntology,
  type Structure,
} from "./atlas.ts";
export {
  assignCells,
  type CellAssignments,
  type CellDistances,
  CellTally,
  compareCellPositions,
  countCells,
  DISTANCE_BIN_UM,
  DistanceSummary,
  EXACT_DISTANCES,
  type HemisphereTotals,
  mapCellsToCcf,
  rollUp,
  structureVolumes,
} from "./recount.ts";
export {
  aindRows,
  COUNT_COLUMNS,
  type CountRow,
  filterRows,
  formatCsv,
  recountRows,
  type RowFilter,
} from "./table.ts";
export {
  batchPoints,
  type CellBatch,
  type CellPoint,
  cellPoints,
  type CellsInCcfOptions,
  type ChannelCells,
  POINT_COLUMNS,
  readCellsInCcf,
  type SubjectCells,
} from "./cells_in_ccf.ts";
