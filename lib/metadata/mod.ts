/**
 * Step 3 of the reference notebook, **read metadata**: OME-NGFF multiscales (Zarr v2 `.zattrs` and v3
 * `zarr.json`, every NGFF length unit in mm), AIND's `acquisition.json` (schemas 0.x to 2.x), AIND's known
 * metadata caveats, and the stored size of each level. Public as `@spimfetch/spimfetch/metadata`.
 *
 * A new metadata schema goes in `acquisition.ts` (parsing into {@linkcode Acquisition}); a new image format
 * in `image.ts`.
 *
 * @module
 */
export {
  type Acquisition,
  type AcquisitionAxis,
  type AnatomicalDirection,
  type AnatomicalTerm,
  parseAcquisition,
  type ParseAcquisitionOptions,
  parseAcquisitionText,
  parseAnatomicalDirection,
} from "./acquisition.ts";
export { type AcquisitionRecord, readAcquisition, type ReadAcquisitionOptions } from "./read_acquisition.ts";
export {
  acquisitionDate,
  AIND_CAVEATS,
  type AindCaveat,
  type AppliedCaveats,
  applyAindCaveats,
  type CaveatContext,
  type CaveatSource,
  type CaveatWarning,
  checkAindCaveats,
  type CheckCaveatsOptions,
} from "./aind_caveats.ts";
export {
  getLevel,
  type ImageLevel,
  type OmeZarrImage,
  openImage,
  type OpenImageOptions,
  type ReadableStore,
} from "./image.ts";
export {
  type Multiscales,
  type NgffAxis,
  type NgffDataset,
  parseMultiscales,
  type ParseMultiscalesOptions,
} from "./multiscales.ts";
export { LENGTH_UNITS, millimetersPerUnit } from "./units.ts";
export { measureStoredBytes, type MeasureStoredBytesOptions } from "./stored_bytes.ts";
