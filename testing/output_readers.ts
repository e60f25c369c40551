/**
 * Independent readers of every output format, for tests: voxels in file order and each voxel's LPS
 * position, from the file alone (nifti-reader-js for NIfTI, `nrrd.ts` for NRRD, and for OME-Zarr Debian's
 * zarr-python when it is installed).
 *
 * @module
 */
import { gunzipSync } from "fflate";
import * as nifti from "nifti-reader-js";
import { nrrdIndexToLps, readNrrd } from "./nrrd.ts";

type Vec3 = [number, number, number];

/** An output read back: sizes (x, y, z), voxels (x fastest) and the index-to-LPS map. */
export interface ReadBack {
  /** Sizes along x, y, z. */
  size: Vec3;
  /** Voxels, x fastest. */
  data: ArrayLike<number>;
  /** The LPS position (mm) of voxel (i, j, k). */
  toLps(index: readonly number[]): Vec3;
}

function readNifti(bytes: Uint8Array): ReadBack {
  const raw = nifti.isCompressed(bytes.buffer as ArrayBuffer) ? gunzipSync(bytes) : bytes;
  const buffer = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
  const header = nifti.readHeader(buffer) as nifti.NIFTI1;
  const image = nifti.readImage(header, buffer);
  const data = header.datatypeCode === nifti.NIFTI1.TYPE_UINT16
    ? new Uint16Array(image)
    : header.datatypeCode === nifti.NIFTI1.TYPE_FLOAT32
    ? new Float32Array(image)
    : (() => {
      throw new Error(`unexpected NIfTI datatype ${header.datatypeCode}`);
    })();
  return {
    size: header.dims.slice(1, 4) as Vec3,
    data,
    // nifti-reader-js's affine is RAS; LPS negates x and y.
    toLps: (index) => {
      const ras = [0, 1, 2].map((r) =>
        header.affine[r][0] * index[0] + header.affine[r][1] * index[1] + header.affine[r][2] * index[2] +
        header.affine[r][3]
      );
      return [-ras[0], -ras[1], ras[2]];
    },
  };
}

/**
 * Reads an output by its suffix: `.nii`, `.nii.gz`, `.nrrd`.
 *
 * @param path The output.
 * @returns Its voxels and geometry.
 */
export async function readOutput(path: string): Promise<ReadBack> {
  if (path.endsWith(".nrrd")) {
    const { header, data } = readNrrd(await Deno.readFile(path));
    return { size: header.sizes as Vec3, data, toLps: (index) => nrrdIndexToLps(header, index) as Vec3 };
  }
  if (path.endsWith(".nii") || path.endsWith(".nii.gz")) return readNifti(await Deno.readFile(path));
  throw new Error(`no reader for ${path}`);
}
