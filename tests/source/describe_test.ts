/**
 * `describeTarget` against metadata served over S3: the reference notebook's level-3 figures (size, spacing,
 * ITK code 525570, direction and origin) from AIND's real `.zattrs` and the reference asset's level shapes.
 *
 * @module
 */
import { assertAlmostEquals, assertEquals } from "@std/assert";
import { describeTarget } from "../../lib/source/describe.ts";
import { serveDataset } from "../../testing/fixture.ts";

const ASSET = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54";
const CHANNEL = "Ex_561_Em_593";
const enc = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

Deno.test("describeTarget() reproduces the reference notebook's level-3 figures from metadata served over S3", async () => {
  // Only metadata: the reference notebook's level-3 shape with no chunks stored.
  const image = `${ASSET}/processed/OMEZarr/${CHANNEL}.zarr`;
  const zattrs = JSON.parse(
    Deno.readTextFileSync(
      new URL(
        "../fixtures/aind/SmartSPIM_631680_stitched_2022-11-10_Ex_647_Em_690.zarr.zattrs.json",
        import.meta.url,
      ),
    ),
  );
  const zarray = (shape: number[]) => ({
    zarr_format: 2,
    shape: [1, 1, ...shape],
    chunks: [1, 1, 128, 128, 128],
    dtype: "<u2",
    compressor: { id: "blosc", cname: "zstd", clevel: 1, shuffle: 1, blocksize: 0 },
    fill_value: 0,
    order: "C",
    filters: null,
    dimension_separator: "/",
  });
  const shapes = [[7424, 20480, 14800], [3712, 10240, 7400], [1856, 5120, 3700], [464, 1280, 925], [
    232,
    640,
    462,
  ]];
  await using fixture = await serveDataset({
    shape: [4, 4, 4],
    chunks: [4, 4, 4],
    levels: 1,
    channels: ["Ex_488_Em_525"],
  }, [
    [`${image}/.zattrs`, enc(zattrs)],
    ...shapes.map((shape, level) =>
      [`${image}/${level}/.zarray`, enc(zarray(shape))] as [string, Uint8Array]
    ),
  ]);
  const described = await describeTarget(`s3://aind-open-data/${image}`, { ...fixture.s3, level: 3 });
  try {
    const level = described.image.levels[3];
    assertEquals(level.size, [925, 1280, 464]);
    assertEquals(level.spacing, [0.0144, 0.0144, 0.016]);
    const orientation = described.orientation!;
    assertEquals([orientation.itkCode, orientation.itkCodeName, orientation.nibabelCode], [
      525570,
      "right-anterior-inferior",
      "RAI",
    ]);
    assertEquals(orientation.geometry.direction, [[-1, 0, 0], [0, -1, 0], [0, 0, -1]]);
    for (const [i, value] of [13.3056, 18.4176, 7.408].entries()) {
      assertAlmostEquals(orientation.geometry.origin[i], value, 1e-9);
    }
  } finally {
    described.image.close();
  }
});
