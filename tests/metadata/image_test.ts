/**
 * A level's geometry from its array and the multiscales metadata, against values worked out by hand. Opening
 * images from S3 (Zarr v2 and v3) is tested with the reads in tests/read/read_test.ts.
 *
 * @module
 */
import { assertEquals, assertThrows } from "@std/assert";
import { MetadataError } from "../../lib/core/errors.ts";
import { describeLevel } from "../../lib/metadata/image.ts";
import type { Multiscales } from "../../lib/metadata/multiscales.ts";

// AIND's layout: (t, c, z, y, x), the spatial axes in micrometres; level 3 at 8 × (2, 1.8, 1.8) µm.
const MULTISCALES: Multiscales = {
  version: "0.4",
  name: undefined,
  axes: [
    { name: "t", type: "time", unit: "millisecond" },
    { name: "c", type: "channel", unit: undefined },
    { name: "z", type: "space", unit: "micrometer" },
    { name: "y", type: "space", unit: "micrometer" },
    { name: "x", type: "space", unit: "micrometer" },
  ],
  spatialAxes: [2, 3, 4],
  millimetersPerUnit: [0.001, 0.001, 0.001],
  datasets: [
    { path: "0", scale: [1, 1, 2, 1.8, 1.8], translation: [0, 0, 0, 0, 0] },
    { path: "3", scale: [1, 1, 16, 14.4, 14.4], translation: [0, 0, 7, 6.3, 6.3] },
  ],
};

Deno.test("describeLevel() gives sizes, spacing and translation in ITK order (x, y, z) and mm", () => {
  const level = describeLevel(
    { shape: [1, 1, 464, 1280, 925], chunks: [1, 1, 128, 128, 128], dtype: "uint16" },
    MULTISCALES,
    1,
    "s3://b/image.zarr/3/.zarray",
  );
  assertEquals(level, {
    index: 1,
    path: "3",
    shape: [1, 1, 464, 1280, 925],
    chunks: [1, 1, 128, 128, 128],
    dtype: "uint16",
    size: [925, 1280, 464],
    // 14.4 µm is 0.0144 mm exactly as printed, not 0.014400000000000001.
    spacing: [0.0144, 0.0144, 0.016],
    translation: [0.0063, 0.0063, 0.007],
    // ⌈925/128⌉ × ⌈1280/128⌉ × ⌈464/128⌉ = 8 × 10 × 4.
    chunkCount: 320,
    bytes: 925 * 1280 * 464 * 2,
  });
});

Deno.test("describeLevel() refuses arrays the axes or the readers cannot use, naming the level", () => {
  const describe = (array: { shape: number[]; chunks: number[]; dtype: string }): unknown =>
    describeLevel(array, MULTISCALES, 0, "s3://b/image.zarr/0/.zarray");
  assertThrows(
    () => describe({ shape: [4, 5, 6], chunks: [4, 5, 6], dtype: "uint16" }),
    MetadataError,
    "level 0 has 3 dimensions but the multiscales axes name 5",
  );
  assertThrows(
    () => describe({ shape: [1, 1, 4, 5, 6], chunks: [1, 1, 4, 5, 6], dtype: "complex64" }),
    MetadataError,
    "level 0 has data type complex64",
  );
  assertThrows(
    () => describe({ shape: [1, 1, 4, 5, 6], chunks: [1, 1, 0, 5, 6], dtype: "uint16" }),
    MetadataError,
    "level 0",
  );
});
