/**
 * `deno task docs:picture [FILE.nii.gz]`: draws the README's picture, `docs/images/demo_projections.png`:
 * the three maximum-intensity projections of the demo's output, at the same millimetres per pixel, with
 * the projection renderer the cohort summaries use (`renderThumbnail`). Without a file it runs
 * `deno task demo --local` into a temporary folder first, so the picture is always the demo's real output.
 *
 * @module
 */
import * as nifti from "nifti-reader-js";
import { gunzipSync } from "fflate";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { projectFile, renderThumbnail } from "../lib/cohort/mod.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Where the picture goes, relative to the repository. */
export const PICTURE_PATH = "docs/images/demo_projections.png";

/** Voxel spacing (x, y, z) in mm from a NIfTI file's header (`pixdim`, units mm as spimfetch writes). */
async function spacingOf(path: string): Promise<[number, number, number]> {
  let bytes = await Deno.readFile(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const header = nifti.readHeader(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 352) as ArrayBuffer,
  );
  if (!header) throw new Error(`${path} is not a NIfTI-1 file`);
  return [header.pixDims[1], header.pixDims[2], header.pixDims[3]];
}

/** Runs the demo on its local synthetic dataset and returns the file it wrote. */
async function runDemo(dir: string): Promise<string> {
  const out = join(dir, "demo.nii.gz");
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "demo.ts"), "--local", "--out", out],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) throw new Error(`the demo failed (exit ${status.code})`);
  return out;
}

if (import.meta.main) {
  const tmp = await Deno.makeTempDir({ prefix: "spimfetch-picture-" });
  try {
    const path = Deno.args[0] ?? await runDemo(tmp);
    const spacing = await spacingOf(path);
    const { projections, bins } = await projectFile(path);
    const [bz, by, bx] = bins;
    const thumbnail = renderThumbnail(projections, [spacing[0] * bx, spacing[1] * by, spacing[2] * bz], {
      maxSize: 480,
      gap: 8,
    });
    await Deno.mkdir(join(ROOT, dirname(PICTURE_PATH)), { recursive: true });
    await Deno.writeFile(join(ROOT, PICTURE_PATH), thumbnail.png);
    console.log(`Wrote ${PICTURE_PATH} (${thumbnail.width} × ${thumbnail.height}) from ${path}`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
