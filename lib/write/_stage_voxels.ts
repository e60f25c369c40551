/**
 * The writers' common inner loop: voxels from slabs of any size, cast to the
 * output type, handed on in fixed 1 MiB pieces.
 *
 * @module
 */
import { allocateVoxels, bytesPerVoxel, type VoxelArray, type VoxelType } from "../core/volume.ts";

/** Bytes per piece: what bounds a writer's extra memory. */
const PIECE_BYTES = 1 << 20;

/** Options for {@linkcode stageVoxels}. */
export interface StageVoxelsOptions {
  /** The type the pieces hold; slabs of another type are converted as `TypedArray.set` does. */
  outputType: VoxelType;
  /** Receives each piece in order; the buffer is reused once the promise resolves. */
  write: (piece: Uint8Array) => Promise<void>;
  /** Checks a slab before it is used (throw to stop). */
  check?: (slab: VoxelArray, index: number) => void;
  /** Called after each piece is written, with the bytes written so far. */
  onPiece?: (bytesWritten: number) => void;
  /** Stops between slabs and pieces. */
  signal?: AbortSignal;
}

/**
 * Copies every slab into fixed pieces and writes them. Pieces do not depend on
 * how the input was sliced, so the output does not either.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { stageVoxels } from "./_stage_voxels.ts";
 * const pieces: number[] = [];
 * const voxels = await stageVoxels([new Uint8Array([1, 2]), new Uint8Array([3])], {
 *   outputType: "uint16",
 *   write: async (piece) => void pieces.push(...new Uint16Array(piece.slice().buffer)),
 * });
 * assertEquals([voxels, pieces], [3, [1, 2, 3]]);
 * ```
 * @param slabs The voxels, in order.
 * @param options Output type, where pieces go, checks, progress and cancellation.
 * @returns The number of voxels written.
 */
export async function stageVoxels(
  slabs: Iterable<VoxelArray> | AsyncIterable<VoxelArray>,
  options: StageVoxelsOptions,
): Promise<number> {
  const staging = allocateVoxels(options.outputType, PIECE_BYTES / bytesPerVoxel(options.outputType));
  const stagingBytes = new Uint8Array(staging.buffer);
  let staged = 0;
  let written = 0;
  let voxels = 0;
  // Hands one piece on: the staging buffer's filled part, or a whole piece of a slab in place.
  const hand = async (piece: Uint8Array): Promise<void> => {
    await options.write(piece);
    written += piece.byteLength;
    options.onPiece?.(written);
    options.signal?.throwIfAborted();
  };
  const flush = async (): Promise<void> => {
    const piece = stagingBytes.subarray(0, staged * staging.BYTES_PER_ELEMENT);
    staged = 0;
    await hand(piece);
  };
  let index = 0;
  for await (const slab of slabs) {
    options.signal?.throwIfAborted();
    options.check?.(slab, index++);
    voxels += slab.length;
    // A slab already of the output type hands whole pieces over in place, skipping a copy of every voxel
    // (1.1 GB for a level 3): the same pieces, cut at the same bytes, as staging would make.
    const inPlace = slab.constructor === staging.constructor;
    for (let from = 0; from < slab.length;) {
      if (inPlace && staged === 0 && slab.length - from >= staging.length) {
        const piece = slab.subarray(from, from + staging.length);
        await hand(new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength));
        from += staging.length;
        continue;
      }
      const count = Math.min(slab.length - from, staging.length - staged);
      (staging as Float64Array).set(
        slab.subarray(from, from + count) as unknown as ArrayLike<number>,
        staged,
      );
      staged += count;
      from += count;
      if (staged === staging.length) await flush();
    }
  }
  if (staged > 0) await flush();
  return voxels;
}
