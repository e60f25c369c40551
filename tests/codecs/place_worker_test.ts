/**
 * `placeDecoded`, the decode workers' copy of a chunk part's x-runs into a slab, against the request's
 * definition written out as a plain loop here: every parity of source and target start (16-bit runs are
 * copied two voxels at a time where the parities match), odd and even run widths, and a conversion.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { placeDecoded } from "../../lib/codecs/place_worker.ts";
import type { PlaceRequest } from "../../lib/codecs/worker_pool.ts";

/** A decoded part of 3 planes × 5 rows × 20 voxels, each voxel's value its index plus 1000. */
const PART = new Uint16Array(3 * 5 * 20).map((_, i) => i + 1000);
const noFallback = (): Promise<Uint8Array> => Promise.reject(new Error("no fallback expected"));

function request(target: Uint16Array | Float32Array, from: number, to: number, width: number): PlaceRequest {
  return {
    target: new Uint8Array(target.buffer),
    targetType: target instanceof Float32Array ? "f4" : "u2",
    sourceType: "u2",
    decodedBytes: PART.byteLength,
    raw: true,
    z: [0, 3],
    y: [1, 4],
    width,
    from,
    fromZ: 100,
    fromY: 20,
    // A slab of 3 planes × 4 rows × 13 voxels (odd: rows alternate parity).
    to,
    toZ: 52,
    toY: 13,
  };
}

/** What the request means, item by item. */
function expected(length: number, place: PlaceRequest): number[] {
  const out = new Array(length).fill(0);
  for (let z = place.z[0]; z < place.z[1]; z++) {
    for (let y = place.y[0]; y < place.y[1]; y++) {
      for (let i = 0; i < place.width; i++) {
        out[place.to + z * place.toZ + y * place.toY + i] =
          PART[place.from + z * place.fromZ + y * place.fromY + i];
      }
    }
  }
  return out;
}

Deno.test("placeDecoded() copies every run to its place, whatever the parities and widths", async () => {
  for (const from of [0, 1, 2, 3]) {
    for (const to of [-13, -12, -11]) {
      for (const width of [1, 2, 7, 8]) {
        const slab = new Uint16Array(new SharedArrayBuffer(3 * 4 * 13 * 2));
        const place = request(slab, from, to, width);
        await placeDecoded(new Uint8Array(PART.buffer.slice(0)), place, noFallback);
        assertEquals([...slab], expected(slab.length, place), `from ${from}, to ${to}, width ${width}`);
      }
    }
  }
});

Deno.test("placeDecoded() converts 16-bit voxels to float32 as it places them", async () => {
  const slab = new Float32Array(new SharedArrayBuffer(3 * 4 * 13 * 4));
  const place = request(slab, 1, -12, 9);
  await placeDecoded(new Uint8Array(PART.buffer.slice(0)), place, noFallback);
  assertEquals([...slab], expected(slab.length, place));
});
