/**
 * The progress event that long steps (reading, writing, preparing) report
 * through their `onProgress` option. Its renderers (a terminal bar, log
 * lines, a notebook display) live in `lib/display/`, so that a step need not
 * import a display to report.
 *
 * @module
 */

/** What a long step has done so far. */
export interface ProgressEvent {
  /** `fetch` (chunks read and decoded) or `write` (bytes written). */
  stage: "fetch" | "write";
  /** Units done: chunks for `fetch`, voxel bytes for `write`. */
  done: number;
  /** Units in all. */
  total: number;
  /** Bytes moved so far: compressed bytes fetched, or voxel bytes written. */
  bytes: number;
}
