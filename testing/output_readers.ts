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

/** Debian's Python (zarr-python 2.13 and numcodecs come from Debian packages, not from a user's pyenv). */
const PYTHON = "/usr/bin/python3";

/**
 * Whether Debian's zarr-python is installed (`python3-zarr`), the independent OME-Zarr reader.
 *
 * @returns Whether `import zarr` works in {@linkcode PYTHON}.
 */
export async function hasZarrPython(): Promise<boolean> {
  const output = await new Deno.Command(PYTHON, { args: ["-c", "import zarr, numcodecs"], stderr: "null" })
    .output().catch(() => undefined);
  return output?.success === true;
}

// Reads level 0 of an NGFF 0.4 store with zarr-python; prints the attributes, writes the voxels raw.
const READ_OME_ZARR = `
import json, sys, zarr
group = zarr.open_group(sys.argv[1], mode="r")
attrs = group.attrs.asdict()
level0 = attrs["multiscales"][0]["datasets"][0]["path"]
array = group[level0][:]
open(sys.argv[2], "wb").write(array.astype(array.dtype.newbyteorder("<")).tobytes())
print(json.dumps({"attrs": attrs, "shape": list(array.shape), "dtype": str(array.dtype)}))
`;

// RFC-4 names the direction an axis's coordinate grows toward; LPS unit vectors of each "to" term.
const TOWARD: Record<string, Vec3> = {
  left: [1, 0, 0],
  right: [-1, 0, 0],
  posterior: [0, 1, 0],
  anterior: [0, -1, 0],
  superior: [0, 0, 1],
  inferior: [0, 0, -1],
};

async function readOmeZarr(path: string): Promise<ReadBack> {
  const raw = await Deno.makeTempFile();
  try {
    const output = await new Deno.Command(PYTHON, { args: ["-c", READ_OME_ZARR, path, raw] }).output();
    if (!output.success) {
      throw new Error(`zarr-python cannot read ${path}: ${new TextDecoder().decode(output.stderr)}`);
    }
    const { attrs, shape, dtype } = JSON.parse(new TextDecoder().decode(output.stdout));
    const bytes = await Deno.readFile(raw);
    if (dtype !== "uint16") throw new Error(`unexpected OME-Zarr dtype ${dtype}`);
    const data = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
    const multiscale = attrs.multiscales[0];
    const [scale, translation] = ["scale", "translation"].map((type) =>
      multiscale.datasets[0].coordinateTransformations.find((t: { type: string }) => t.type === type)[type]
    ) as [number[], number[]];
    // Along NGFF axis a (z, y, x), the coordinate (µm) grows toward its anatomical direction.
    const toward = multiscale.axes.map((axis: { orientation: { value: string } }) =>
      TOWARD[axis.orientation.value.split("-to-")[1]]
    ) as Vec3[];
    return {
      size: [shape[2], shape[1], shape[0]],
      data,
      toLps: ([i, j, k]) => {
        const coordinate = [k, j, i].map((n, a) => (translation[a] + scale[a] * n) / 1000);
        return [0, 1, 2].map((p) => toward.reduce((sum, u, a) => sum + u[p] * coordinate[a], 0)) as Vec3;
      },
    };
  } finally {
    await Deno.remove(raw);
  }
}

/**
 * Reads an output by its suffix: `.nii`, `.nii.gz`, `.nrrd`, `.ome.zarr` (level 0, NGFF 0.4).
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
  if (path.endsWith(".ome.zarr")) return await readOmeZarr(path);
  throw new Error(`no reader for ${path}`);
}
