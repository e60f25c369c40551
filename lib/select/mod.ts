/**
 * Step 2 of the reference notebook, **select**: a subject's stitched assets (newest first), its channels in
 * any of AIND's layouts, and the level to read (by index, by resolution, or by the bytes it may take).
 *
 * @module
 */
export {
  type Channel,
  CHANNEL_LAYOUTS,
  findStitchedAssets,
  listChannels,
  selectAsset,
  selectChannel,
  type SelectOptions,
} from "./select.ts";
export {
  chooseLevel,
  type ChooseLevelOptions,
  type LevelChoice,
  outputBytes,
  parseRegion,
  regionFromMillimeters,
  type RegionMm,
} from "./choose_level.ts";
