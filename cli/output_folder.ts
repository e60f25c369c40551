/**
 * Saying so when an output's folder does not exist yet (the same line for `--out` as for a default path,
 * which the export says through its `log`).
 *
 * @module
 */
export { createOutputFolder } from "../lib/write/output_folder.ts";
