/**
 * Helpers of the display tests: an independent PNG decoder (fflate only), orientations from acquisition axes,
 * small volumes and an in-memory OME-Zarr image.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { Buffer } from "node:buffer";
import { unzlibSync } from "fflate";
import { parseAcquisition } from "../lib/metadata/acquisition.ts";
import type { Display } from "../lib/display/display.ts";
import { type OmeZarrImage, openImage } from "../lib/metadata/image.ts";
import { computeOrientation, type Orientation } from "../lib/orient/orient.ts";
import type { Volume } from "../lib/core/volume.ts";

/** A decoded PNG: header fields and unfiltered samples. */
export interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  samples: Uint8Array;
}

/** Decodes an 8-bit, non-interlaced PNG with nothing but fflate, independently of the encoder. */
export function decodePng(png: Uint8Array): DecodedPng {
  assertEquals([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let offset = 8;
  let header: DataView | undefined;
  const idat: Uint8Array[] = [];
  while (offset < png.length) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") header = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (type === "IDAT") idat.push(data);
    offset += 12 + length;
    if (type === "IEND") break;
  }
  assert(header, "IHDR chunk");
  const [width, height, bitDepth, colorType] = [
    header.getUint32(0),
    header.getUint32(4),
    header.getUint8(8),
    header.getUint8(9),
  ];
  assertEquals(bitDepth, 8);
  const channels = { 0: 1, 4: 2, 2: 3, 6: 4 }[colorType as 0 | 2 | 4 | 6];
  const joined = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  idat.reduce((at, c) => (joined.set(c, at), at + c.length), 0);
  const raw = unzlibSync(joined);
  const stride = width * channels;
  assertEquals(raw.length, height * (stride + 1));
  const samples = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? samples[y * stride + x - channels] : 0;
      const b = y > 0 ? samples[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? samples[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
        ? a
        : Math.abs(p - b) <= Math.abs(p - c)
        ? b
        : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      samples[y * stride + x] = (v + predictor) & 255;
    }
  }
  return { width, height, bitDepth, colorType, samples };
}

export function pngOf(display: Display): Uint8Array {
  const match = /data:image\/png;base64,([A-Za-z0-9+/=]+)/.exec(display.bundle["text/html"] ?? "");
  assert(match, "the HTML embeds a PNG");
  return new Uint8Array(Buffer.from(match[1], "base64"));
}

export function orientationOf(
  axes: { dimension: number; direction: string }[],
  size: [number, number, number],
  spacing: [number, number, number],
): Orientation {
  const parsed = parseAcquisition({ axes: axes.map((a, i) => ({ name: "XYZ"[i], ...a })) }, {
    source: "acquisition.json",
  });
  return computeOrientation(parsed.axes, { size, spacing });
}

export const REFERENCE_AXES = [
  { dimension: 2, direction: "Left_to_right" },
  { dimension: 1, direction: "Posterior_to_anterior" },
  { dimension: 0, direction: "Superior_to_inferior" },
];
// A coronal acquisition: z runs anterior to posterior, rows (y) superior to inferior, x right to left.
export const CORONAL_AXES = [
  { dimension: 2, direction: "Right_to_left" },
  { dimension: 1, direction: "Superior_to_inferior" },
  { dimension: 0, direction: "Anterior_to_posterior" },
];

export function volumeOf(
  shape: [number, number, number],
  f: (z: number, y: number, x: number) => number,
): Volume {
  const [nz, ny, nx] = shape;
  const data = new Uint16Array(nz * ny * nx);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[(z * ny + y) * nx + x] = f(z, y, x);
  }
  return { data, shape, dtype: "uint16" };
}

export async function memoryImage(uri = "memory://test.zarr"): Promise<OmeZarrImage> {
  const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
  const axes = ["z", "y", "x"].map((name) => ({ name, type: "space", unit: "micrometer" }));
  const files = new Map([
    [
      "/.zattrs",
      json({
        multiscales: [{
          version: "0.4",
          axes,
          datasets: [{ path: "0", coordinateTransformations: [{ type: "scale", scale: [2, 1, 1] }] }],
        }],
      }),
    ],
    [
      "/0/.zarray",
      json({
        zarr_format: 2,
        shape: [2, 3, 4],
        chunks: [2, 3, 4],
        dtype: "<u2",
        compressor: null,
        fill_value: 0,
        order: "C",
        filters: null,
      }),
    ],
  ]);
  return await openImage(uri, { store: { get: (key) => Promise.resolve(files.get(key)) } });
}
