/**
 * See the brain, not a file name: an interactive viewer (NiiVue, WebGL2) of volumes, output files, opened
 * sources and brains in CCF, inline in notebooks or as one self-contained HTML page; and Neuroglancer links
 * for a whole asset on S3. Public as `@spimfetch/spimfetch/view`.
 *
 * The viewer is size-bounded (every n-th voxel beyond a budget, said in the viewer), carries NiiVue's code
 * and its data (no CDN, no network), and places voxels by the library's own NIfTI header, so that what it
 * calls left, anterior and superior is what the file's geometry says.
 *
 * @example View a volume in a notebook cell
 * ```ts
 * import { view } from "@spimfetch/spimfetch/view";
 * const volume = { data: new Uint16Array(8).fill(100), shape: [2, 2, 2] as [number, number, number], dtype: "uint16" as const };
 * const geometry = { spacing: [0.025, 0.025, 0.025] as [number, number, number], origin: [0, 0, 0] as [number, number, number],
 *   direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as [[number, number, number], [number, number, number], [number, number, number]] };
 * const display = await view({ volume, geometry, name: "cube" });
 * console.log(display.images[0].step); // 1
 * ```
 *
 * @module
 */
export {
  DEFAULT_VIEW_BUDGET_BYTES,
  describeViewerVolume,
  prepareViewerVolume,
  type PrepareViewerVolumeOptions,
  stridedGeometry,
  strideForBudget,
  strideVolume,
  viewerNifti,
  type ViewerVolume,
} from "./viewer_volume.ts";
export { readVolumeFile, type ReadVolumeFileOptions } from "./read_volume_file.ts";
export { parsePointsCsv, type ParsePointsOptions, type ViewerPoint } from "./points.ts";
export { viewerFragment, viewerHtml, type ViewerHtmlOptions, type ViewerLayer } from "./page.ts";
export {
  INLINE_VIEW_BUDGET_BYTES,
  parseLabelTable,
  toViewerVolume,
  view,
  type Viewable,
  type ViewerDisplay,
  type ViewOptions,
  writeViewerPage,
  type WriteViewerPageOptions,
} from "./view.ts";
export {
  type AssetNeuroglancer,
  assetNeuroglancer,
  type AssetNeuroglancerOptions,
  NEUROGLANCER_BASE_URL,
  type NeuroglancerChannel,
  type NeuroglancerState,
  neuroglancerState,
  neuroglancerUrl,
  parseNeuroglancerUrl,
} from "./neuroglancer.ts";
