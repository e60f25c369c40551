/**
 * The one NIfTI-1 reader of the tests: nifti-reader-js (an independent implementation) on the file's
 * bytes, gunzipped with fflate when they are gzip. Tests compare what it reads with values they derive
 * themselves, never with the writer's own view of the file.
 *
 * @module
 */
import { gunzipSync } from "fflate";
import * as nifti from "nifti-reader-js";

/** A NIfTI-1 file as nifti-reader-js reads it. */
export interface NiftiFile {
  /** The parsed header (dims, pixDims, qform/sform, affine, datatype). */
  header: nifti.NIFTI1;
  /** The voxel bytes after the header (and extensions). */
  image: ArrayBuffer;
}

/** Parses `.nii` or `.nii.gz` bytes; throws when they are not NIfTI-1. */
export function readNifti(bytes: Uint8Array): NiftiFile {
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const raw = gzip ? gunzipSync(bytes) : bytes;
  const buffer = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
  if (!nifti.isNIFTI1(buffer)) throw new Error("not a NIfTI-1 file (no n+1 magic)");
  const header = nifti.readHeader(buffer);
  if (!(header instanceof nifti.NIFTI1)) throw new Error("not a NIfTI-1 header");
  return { header, image: nifti.readImage(header, buffer) };
}

/** Reads and parses a `.nii` or `.nii.gz` file. */
export async function readNiftiFile(path: string): Promise<NiftiFile> {
  return readNifti(await Deno.readFile(path));
}
