/**
 * The help texts of the spimfetch command line. The main help's list of commands is built from the
 * command table (`COMMANDS` in `main.ts`), so a new command appears there by being added to the table.
 *
 * @module
 */
import { AIND_BUCKET } from "../mod.ts";
import { VERSION } from "../lib/core/version.ts";

/** The flags every command takes (see `S3_FLAGS` in `args.ts`), appended to each command's help. */
export const COMMON_HELP = `
S3 options (every command):
  --bucket NAME       bucket to read (default: ${AIND_BUCKET})
  --endpoint URL      an S3-compatible endpoint, e.g. http://127.0.0.1:4568 (path-style requests)
  --region NAME       AWS region (default: us-west-2)
  --signed            sign requests with the AWS SDK's credential chain (default: anonymous)
  -h, --help          show help for the command`;

/**
 * The help printed by `spimfetch`, `spimfetch --help` and `spimfetch help`.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { mainHelp } from "./help.ts";
 * const help = mainHelp({ list: "list the assets", fetch: "export one level" });
 * assertStringIncludes(help, "  list    list the assets\n  fetch   export one level");
 * ```
 * @param summaries One line per command, by name, in the order to show them.
 * @returns The text.
 */
export function mainHelp(summaries: Readonly<Record<string, string>>): string {
  const names = Object.keys(summaries);
  const width = Math.max(...names.map((name) => name.length)) + 3;
  const commands = names.map((name) => `  ${name.padEnd(width)}${summaries[name]}`).join("\n");
  return `spimfetch ${VERSION}: SmartSPIM OME-Zarr from S3 to oriented NIfTI

Usage: deno task cli <command> [options]

Commands:
${commands}

Run 'deno task cli <command> --help' for a command's options.
  --version           print the version`;
}

/** `list --help`. */
export const LIST_HELP = `Usage: deno task cli list [--prefix P] [--json]

List the assets at the top of the bucket whose names follow AIND's convention
(<platform>_<subject>_<date>_<time>[_stitched_<date>_<time>]). Follows S3 pagination.

  --prefix P          only names starting with P, e.g. SmartSPIM_652506
  --json              print JSON instead of a table${COMMON_HELP}`;

/** `info --help`. */
export const INFO_HELP = `Usage: deno task cli info <subject | asset | s3-uri> [--level N] [--json]

Show what can be fetched: for a subject, its stitched assets (newest first);
for the selected asset, its channels; for the first channel (or --channel, or
the image an s3:// URI names), its levels with size, spacing in mm, chunking
and dtype; and the orientation read from acquisition.json.

  --channel NAME      the channel whose levels are shown, e.g. Ex_561_Em_593 (default: the first)
  --level N           the level whose orientation is shown (default: 3, or the coarsest)
  --resolution MM     also show which level 'fetch --resolution MM' would read
  --max-bytes SIZE    also show which level 'fetch --max-bytes SIZE' would read (e.g. 2GB)
  --roi-mm BOX        with --max-bytes: count only this box (x=A:B,y=A:B,z=A:B in mm)
  --dtype T           with --max-bytes: native (default) or float32
  --json              print JSON instead of tables${COMMON_HELP}`;

/** `fetch --help`: both fetch paths, since the flags map to options once (`fetchPlan` in `args.ts`). */
export const FETCH_HELP = `Usage: deno task cli fetch --subject ID --channel NAME --level N [options]

Export one resolution level of one channel, oriented from acquisition.json, to any output format
(spimfetch formats lists them), with a sidecar <name>.json beside it (source, level, region, steps,
output geometry, trusted acquisition axes, version). Every option combines with every other; memory
stays bounded whatever the level.

  --subject ID        subject id, e.g. 652506 (the newest stitched asset is used)
  --asset NAME        an exact stitched asset name instead (reproduces a given version)
  --channel NAME      channel, e.g. Ex_561_Em_593
  --level N           resolution level, 0 = finest (default: 3, as in the reference notebook)
  --resolution MM     instead of --level: the coarsest level at least this fine, e.g. 0.025
  --max-bytes SIZE    instead of --level: the finest level whose output fits, e.g. 2GB, 1.5GiB
  --roi x=A:B,y=A:B,z=A:B   only these voxels of the level (half-open ranges; any subset of axes)
  --roi-mm x=A:B,...  only the voxels whose centres lie in this box, mm from voxel 0 along x, y, z
  --out PATH          output .nii.gz, .nii, .nrrd (gzip-encoded NRRD) or .ome.zarr
                      (default: data/input/<subject>/<subject>_<channel>_L<level>.nii.gz)
  --dtype T           native (as stored, default) or float32 (as the reference notebook writes)
  --gzip-level N      gzip level 0-9 for .nii.gz (default: 1; SmartSPIM noise makes 6 only ~2% smaller)
  --force             replace an existing output, once the new file is complete
  --cache-mb N        memory for compressed chunks, MiB (default: 128: a compressed chunk row that
                      fits is cut into thin slabs from memory, a larger one from disk; 256 with
                      --max-slab-mb)
  --cache-dir DIR     keep fetched chunks in DIR (verified, written atomically): a re-run after
                      an interruption (Ctrl-C, a crash, a lost network) fetches only what is missing
  --concurrency N     chunks fetched at once (default: 16)
  --max-slab-mb N     hold at most N MiB of voxels per z-slab (default: 40); slabs are a divisor of
                      the chunk depth thick and each decodes only the Blosc blocks it needs; a
                      compressed chunk row too large for the cache is kept on disk (beside the
                      output, or in --tmp-dir) while its slabs are cut
  --tmp-dir DIR       where temporary files go (default: beside the output; free space checked before
                      starting): a reorientation that moves z (the output's uncompressed size),
                      the compressed chunk row of a level too large for the cache (one row), and an
                      OME-Zarr output's rows of chunks waiting for their planes (about 3 rows)
  --quiet             no progress output

OME-Zarr output (.ome.zarr):
  --ngff-version V    0.4 (Zarr v2, default: what napari, Neuroglancer, Fiji/MoBIE read today) or 0.5
  --chunk Z,Y,X       chunk shape (default: 128,128,128)
  --shard Z,Y,X       shard shape, a multiple of the chunk shape (0.5 only)
  --codec C           blosc-zstd (default), blosc-lz4, gzip or none

Optional steps (after choosing the level and region):
  --orientation CODE  reorient voxels so index axes point this way, nibabel letters ("to"):
                      PIR for the Allen CCF (x posterior, y inferior, z right), RAS, LPS, any of 48
  --spacing MM[,MM,MM]  resample to this spacing in mm (per output x,y,z) by area averaging, from
                      the coarsest level at least as fine (unless --level), e.g. 0.025 for 25 um
  --aind-orientation-fix  apply the corrections of AIND's known metadata caveats (e.g. SmartSPIM
                      2022-2023 Y recorded Posterior_to_anterior); by default the recorded metadata
                      is used and a warning is printed${COMMON_HELP}`;
