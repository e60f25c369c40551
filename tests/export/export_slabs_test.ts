import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { exportSlabs } from "../../lib/export/export_slabs.ts";
import { planExport } from "../../lib/export/plan.ts";
import { DiskSpaceError, freeBytes } from "../../lib/core/temp_space.ts";
import { openImage } from "../../lib/metadata/image.ts";
import { openSource } from "../../lib/source/open_source.ts";
import { serveDataset } from "../../testing/fixture.ts";

const CHANNEL = "Ex_561_Em_593";

/** A store holding only the metadata of one huge Blosc level (nothing may be fetched: there are no chunks). */
function hugeLevelStore(
  shape: number[],
  chunks: number[],
): { get(key: string): Promise<Uint8Array | undefined> } {
  const enc = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
  const metadata = new Map<string, Uint8Array>([
    [
      "/.zattrs",
      enc({
        multiscales: [{
          version: "0.4",
          axes: [
            { name: "t", type: "time", unit: "millisecond" },
            { name: "c", type: "channel" },
            ...["z", "y", "x"].map((name) => ({ name, type: "space", unit: "micrometer" })),
          ],
          datasets: [{
            path: "0",
            coordinateTransformations: [{ type: "scale", scale: [1, 1, 16, 14.4, 14.4] }],
          }],
        }],
      }),
    ],
    [
      "/0/.zarray",
      enc({
        zarr_format: 2,
        shape,
        chunks,
        dtype: "<u2",
        compressor: { id: "blosc", cname: "zstd", clevel: 3, shuffle: 1, blocksize: 0 },
        fill_value: 0,
        order: "C",
        filters: null,
        dimension_separator: "/",
      }),
    ],
  ]);
  return {
    get(key: string): Promise<Uint8Array | undefined> {
      if (metadata.has(key)) return Promise.resolve(metadata.get(key));
      if (/\/0\/\d+\/\d+\/\d+\/\d+\/\d+$/.test(key)) {
        throw new Error(`chunk ${key} fetched before the disk was checked`);
      }
      return Promise.resolve(undefined);
    },
  };
}

Deno.test("a compressed chunk row larger than the free disk is refused before any chunk is fetched", async () => {
  await using fixture = await serveDataset({
    shape: [8, 8, 8],
    chunks: [8, 8, 8],
    levels: 1,
    channels: [CHANNEL],
  });
  using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
  const dir = await Deno.makeTempDir();
  try {
    // One chunk row of 128 planes of 65536 × 65536 uint16 is 1 TiB: more than this disk has free.
    const shape = [1, 1, 256, 65536, 65536];
    const image = await openImage("s3://aind-open-data/huge.zarr", {
      store: hugeLevelStore(shape, [1, 1, 128, 1024, 1024]),
    });
    const huge = { ...source, image };
    const plan = planExport(huge, { level: 0, out: `${dir}/brain.nii.gz` });
    const error = await assertRejects(
      () => exportSlabs(huge, plan, { signal: new AbortController().signal }),
      DiskSpaceError,
    );
    assertEquals(error.needed, 128 * 65536 * 65536 * 2);
    assertEquals(error.directory, dir);
    assertStringIncludes(error.message, "the compressed chunk rows spilled to disk");
    assertEquals(error.available <= freeBytes(dir), true);
    assertEquals([...Deno.readDirSync(dir)], [], "nothing was written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
