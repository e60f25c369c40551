/**
 * The worker side of `placeChunkPart` (`partial_chunks.ts`): decode a chunk part (c-blosc
 * into a reused buffer where it loads) and copy its rows into a slab in
 * shared memory, converting to the slab's type.
 *
 * @module
 */
import { decodeBlosc } from "./blosc.ts";
import type { PlaceRequest } from "./worker_pool.ts";
import { decodeBloscNative } from "./_ffi_blosc.ts";

type Typed =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;
type TypedConstructor = new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => Typed;

/** The typed array of each numpy item code ("u2", "f4", ...) a chunk part may hold. */
export const NUMPY_ARRAYS: Record<string, TypedConstructor> = {
  u1: Uint8Array,
  i1: Int8Array,
  u2: Uint16Array,
  i2: Int16Array,
  u4: Uint32Array,
  i4: Int32Array,
  f4: Float32Array,
  f8: Float64Array,
};

// One decode buffer per worker, reused: fresh memory for every part would cost a page fault per 4 KiB.
let scratch = new Uint8Array(0);

/**
 * Decodes `bytes` and places them as `place` says.
 *
 * @example
 * ```ts ignore
 * await placeDecoded(miniChunk, place, (bytes) => wasm.decode(bytes));
 * ```
 * @param bytes A Blosc chunk of the needed blocks, or the decoded bytes when `place.raw`.
 * @param place Where the items go.
 * @param fallback Decodes what neither c-blosc nor the pure decoder can.
 * @throws {Error} If the part does not decode to the expected size.
 */
export async function placeDecoded(
  bytes: Uint8Array,
  place: PlaceRequest,
  fallback: (bytes: Uint8Array) => Promise<Uint8Array>,
): Promise<void> {
  let decoded: Uint8Array | undefined;
  if (place.raw) decoded = bytes;
  else {
    if (scratch.byteLength < place.decodedBytes) scratch = new Uint8Array(place.decodedBytes);
    decoded = decodeBloscNative(bytes, scratch.subarray(0, place.decodedBytes)) ?? decodeBlosc(bytes) ??
      await fallback(bytes);
  }
  if (decoded.byteLength !== place.decodedBytes) {
    throw new Error(
      `Cannot place a chunk part: it decoded to ${decoded.byteLength} bytes, expected ${place.decodedBytes}`,
    );
  }
  const Source = NUMPY_ARRAYS[place.sourceType], Target = NUMPY_ARRAYS[place.targetType];
  const source = new Source(
    decoded.buffer,
    decoded.byteOffset,
    decoded.byteLength / Number(place.sourceType[1]),
  );
  const t = place.target;
  const target = new Target(t.buffer, t.byteOffset, t.byteLength / Number(place.targetType[1]));
  const { width, fromZ, fromY, toZ, toY } = place;
  // A chunk's x-runs are short (128 voxels in AIND's chunks, millions of them per level): there a plain
  // loop is faster than subarray + set, which allocates a view per run (about 95 against 160 ns per
  // 128-voxel run here). Long runs copy as bytes with set. Both convert between types the same way.
  const short = width <= SHORT_RUN;
  if (short && place.sourceType === place.targetType && place.sourceType[1] === "2") {
    const aligned = decoded.byteOffset % 4 === 0 && t.byteOffset % 4 === 0;
    if (aligned) return copyRuns16(source as Uint16Array, target as Uint16Array, place);
  }
  const s = source as Float64Array, d = target as Float64Array;
  for (let z = place.z[0]; z < place.z[1]; z++) {
    for (let y = place.y[0]; y < place.y[1]; y++) {
      const from = place.from + z * fromZ + y * fromY;
      const to = place.to + z * toZ + y * toY;
      if (short) {
        for (let i = 0; i < width; i++) d[to + i] = s[from + i];
      } else d.set(s.subarray(from, from + width), to);
    }
  }
}

/**
 * The short runs of 16-bit voxels (SmartSPIM's), copied two voxels at a time where a run's source and target
 * start on the same parity (half the rows of a 925-voxel-wide slab): 68 against 87 ns per 128-voxel run
 * on the benchmark machine.
 */
function copyRuns16(source: Uint16Array, target: Uint16Array, place: PlaceRequest): void {
  const { width, fromZ, fromY, toZ, toY } = place;
  const s32 = new Uint32Array(source.buffer, source.byteOffset, source.length >> 1);
  const d32 = new Uint32Array(target.buffer, target.byteOffset, target.length >> 1);
  for (let z = place.z[0]; z < place.z[1]; z++) {
    for (let y = place.y[0]; y < place.y[1]; y++) {
      const from = place.from + z * fromZ + y * fromY;
      const to = place.to + z * toZ + y * toY;
      let i = 0;
      if (((from ^ to) & 1) === 0) {
        if (to & 1) target[to] = source[from], i = 1;
        const pairs = (width - i) >> 1, f = (from + i) >> 1, d = (to + i) >> 1;
        for (let k = 0; k < pairs; k++) d32[d + k] = s32[f + k];
        i += 2 * pairs;
      }
      for (; i < width; i++) target[to + i] = source[from + i];
    }
  }
}

/** The longest x-run copied element by element (see {@linkcode placeDecoded}). */
const SHORT_RUN = 256;
