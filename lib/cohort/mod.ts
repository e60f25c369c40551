/**
 * Cohorts: what many spimfetch outputs hold, at a glance. Reads each output's
 * sidecar JSON and streams its voxels once (bounded memory) for
 * maximum-intensity thumbnails, then writes one table as CSV and as a
 * self-contained HTML page. `spimfetch summary` and the Snakemake workflow in
 * `workflows/cohort/` call it.
 *
 * @example Summarize two outputs
 * ```ts ignore
 * import { summarizeCohort, writeCohortSummary } from "@spimfetch/spimfetch/cohort";
 * const rows = await summarizeCohort(["r/1/1_Ex_561_Em_593_ccf25.nii.gz", "r/2/2_Ex_561_Em_593_ccf25.nii.gz"]);
 * await writeCohortSummary(rows, { csv: "r/summary.csv", html: "r/summary.html" });
 * ```
 *
 * @module
 */
export * from "./voxel_stream.ts";
export * from "./streaming_projections.ts";
export * from "./subject_info.ts";
export * from "./ccf_cohort.ts";
export * from "./summary.ts";
export * from "./tables.ts";
