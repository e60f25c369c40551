/**
 * Benchmark of `spimfetch cells --recount`: 10^6 and 10^7 synthetic cells of one channel (a
 * `detected_cells.csv` of ~30 and ~300 MB on a local S3 server) read streaming, mapped through a
 * registered asset's four transforms, looked up in a CCF annotation on the real 25 µm grid
 * (528 × 320 × 456) and counted per structure, paired with AIND's transformed cells (a
 * `transformed_cells.csv` of as many rows) for the distance report. Each recount runs in a child process
 * of its own, so its peak RSS is the recount's alone: with the cells streamed in batches it does not grow
 * with the number of cells (the annotation, ~150 MB of uint16 voxels, is most of it).
 *
 * Run: `deno task bench:cells` (CELLS=1000000,10000000 by default; CELLS=N for one count). Timing goes
 * here, never in tests.
 *
 * @module
 */
import { SEGMENTED_ASSETS, serveCellsDataset } from "../testing/cells_dataset.ts";

const COUNTS = (Deno.env.get("CELLS") ?? "1000000,10000000").split(",").map(Number);
const spec = SEGMENTED_ASSETS[0];
const asset = `SmartSPIM_${spec.asset.subject}_${spec.asset.acquiredAt}_stitched_${spec.asset.stitchedAt}`;
const channel = "Ex_561_Em_593";

/** The CSV in 64 K-line pieces, never one string; cells on the level-0 grid (40 × 56 × 48), fractional. */
function csv(cells: number, header: string, row: (i: number, next: () => number) => string): Uint8Array {
  const encoder = new TextEncoder();
  const pieces: Uint8Array[] = [encoder.encode(`${header}\n`)];
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let start = 0; start < cells; start += 65536) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(cells, start + 65536); i++) lines.push(row(i, next));
    pieces.push(encoder.encode(`${lines.join("\n")}\n`));
  }
  const out = new Uint8Array(pieces.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of pieces) (out.set(p, at), at += p.length);
  return out;
}

const results = [];
for (const cells of COUNTS) {
  const detections = csv(
    cells,
    ",x,y,z",
    (i, next) => `${i},${(next() * 47).toFixed(1)},${(next() * 55).toFixed(1)},${(next() * 39).toFixed(1)}`,
  );
  // AIND's cells in CCF (25 µm voxel indices, x = AP, y = DV, z = ML), one per detection, by Cell ID.
  const transformed = csv(
    cells,
    ",x,y,z,Foreground,Background,Cell ID",
    (i, next) =>
      `${i},${(200 + next() * 100).toFixed(2)},${(100 + next() * 100).toFixed(2)},${
        (150 + next() * 150).toFixed(2)
      },1,1,${i}`,
  );
  const extra = new Map([
    [`${asset}/image_cell_segmentation/${channel}/detected_cells.csv`, detections],
    [`${asset}/image_cell_quantification/${channel}/transformed_cells.csv`, transformed],
    // A quantification has AIND's counts beside its transformed cells (2023 layout: root only).
    [
      `${asset}/image_cell_quantification/${channel}/cell_count_by_region.csv`,
      new TextEncoder().encode(",Id,Structure,Struct_Info,Left,Right,Total\n0,997,root,mid,0,0,0\n"),
    ],
  ]);
  console.error(
    `Serving ${cells} cells (${(detections.length / 2 ** 20).toFixed(1)} MiB detections, ` +
      `${(transformed.length / 2 ** 20).toFixed(1)} MiB transformed) and a 25 µm annotation...`,
  );
  await using served = await serveCellsDataset({ assets: [spec], atlasResolution: 25, extra });
  const child = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./cells_recount_once.ts", import.meta.url).pathname,
      JSON.stringify({ s3: served.s3, asset, channel }),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!child.success) throw new Error(`the recount of ${cells} cells failed`);
  const result = JSON.parse(new TextDecoder().decode(child.stdout));
  console.log(JSON.stringify(result));
  results.push(result);
}
console.log(JSON.stringify(results, null, 1));
