/**
 * Reads the voxels of a 3-D NIfTI-1 image (gzipped or not) in file order, a
 * few at a time, so that a comparison can walk it beside a stream of slabs
 * without holding it whole.
 *
 * @module
 */
import { MetadataError } from "../core/errors.ts";

const TYPES: Record<number, { bytes: number; get: (v: DataView, at: number, le: boolean) => number }> = {
  2: { bytes: 1, get: (v, at) => v.getUint8(at) },
  4: { bytes: 2, get: (v, at, le) => v.getInt16(at, le) },
  8: { bytes: 4, get: (v, at, le) => v.getInt32(at, le) },
  16: { bytes: 4, get: (v, at, le) => v.getFloat32(at, le) },
  64: { bytes: 8, get: (v, at, le) => v.getFloat64(at, le) },
  256: { bytes: 1, get: (v, at) => v.getInt8(at) },
  512: { bytes: 2, get: (v, at, le) => v.getUint16(at, le) },
  768: { bytes: 4, get: (v, at, le) => v.getUint32(at, le) },
};

/** A NIfTI image read in order. */
export interface NiftiStream {
  /** Sizes (x, y, z). */
  size: [number, number, number];
  /** The next `count` voxels (scaled by scl_slope/scl_inter when set). */
  read(count: number): Promise<Float64Array>;
}

/**
 * Opens a 3-D NIfTI-1 image for reading in order.
 * @param bytes The file.
 * @param source Where it came from, for messages.
 * @returns The stream.
 * @throws {MetadataError} If it is not a 3-D NIfTI-1 image of a supported type.
 */
export async function openNiftiStream(bytes: Uint8Array, source: string): Promise<NiftiStream> {
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const reader = gzip
    ? new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"))
      .getReader()
    : undefined;
  let pending: Uint8Array = gzip ? new Uint8Array(0) : bytes;
  const take = async (count: number): Promise<Uint8Array> => {
    while (pending.length < count && reader) {
      const { value, done } = await reader.read();
      if (done) break;
      const joined = new Uint8Array(pending.length + value.length);
      joined.set(pending);
      joined.set(value, pending.length);
      pending = joined;
    }
    if (pending.length < count) {
      throw new MetadataError(`Cannot read the NIfTI image: it ends before the voxels its header announces`, {
        source,
      });
    }
    const out = pending.subarray(0, count);
    pending = pending.subarray(count);
    return out;
  };
  const header = await take(348);
  const view = new DataView(header.buffer, header.byteOffset, 348);
  const le = view.getInt32(0, true) === 348;
  if (!le && view.getInt32(0, false) !== 348) {
    throw new MetadataError("Cannot read the NIfTI image: sizeof_hdr is not 348 (not NIfTI-1)", { source });
  }
  const dim = Array.from({ length: 8 }, (_, i) => view.getInt16(40 + 2 * i, le));
  const type = TYPES[view.getInt16(70, le)];
  if (dim[0] < 3 || dim.slice(4, dim[0] + 1).some((n) => n !== 1) || !type) {
    throw new MetadataError(
      `Cannot read the NIfTI image: dim [${dim.slice(0, dim[0] + 1)}], datatype ${view.getInt16(70, le)}: ` +
        `expected a 3-D image of an integer or float type`,
      { source },
    );
  }
  const slope = view.getFloat32(112, le), inter = view.getFloat32(116, le);
  const scaled = slope !== 0 && Number.isFinite(slope) && !(slope === 1 && inter === 0);
  await take(Math.max(0, Math.round(view.getFloat32(108, le)) - 348));
  return {
    size: [dim[1], dim[2], dim[3]],
    async read(count: number): Promise<Float64Array> {
      const raw = await take(count * type.bytes);
      const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const value = type.get(v, i * type.bytes, le);
        out[i] = scaled ? value * slope + inter : value;
      }
      return out;
    },
  };
}
