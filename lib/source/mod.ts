/**
 * The opened source: steps 2 and 3 of the reference notebook at once (select the asset and channel, open
 * the image, read `acquisition.json`), with one S3 client that every later step reuses; and the summary of
 * a subject, asset or image that `spimfetch info` prints.
 *
 * @module
 */
export {
  isOpenedSource,
  type OpenedSource,
  openSource,
  type OpenSourceOptions,
  type SourceRequest,
} from "./open_source.ts";
export { type DescribeOptions, describeTarget, type TargetDescription } from "./describe.ts";
