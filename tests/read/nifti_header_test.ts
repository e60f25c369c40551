/**
 * `parseNiftiHeader()` and `niftiGeometry()` against headers written by nibabel (Debian's python3-nibabel):
 * fields of either byte order, a 180° qform (the quaternion's a = 0 branch), NIfTI-2 refused by name.
 * The voxels are the business of `tests/read/nifti_file_test.ts`.
 *
 * Needs python3 with nibabel: skipped locally with one line when missing, failing when `CI=true`.
 *
 * @module
 */
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { gunzipSync } from "node:zlib";
import { NiftiFormatError, niftiGeometry, parseNiftiHeader } from "../../lib/read/nifti_header.ts";
import { nibabelMissing, runPython } from "../../testing/nibabel.ts";

const missing = await nibabelMissing();
if (missing) console.warn(`WARNING: tests/read/nifti_header_test.ts skipped: ${missing}`);

const WRITER = `
import sys, json, os, numpy as np, nibabel as nib
out = sys.argv[1]
rows = {}
for endian in "<>":
    img = nib.Nifti1Image(np.zeros((6, 5, 4), np.int16), None, header=nib.Nifti1Header(endianness=endian))
    img.set_data_dtype(np.int16)
    # 180 degrees about y, then zooms: the quaternion's a is 0.
    Q = np.diag([-0.2, 0.3, -0.4, 1.0]); Q[:3, 3] = [4.0, -5.0, 6.0]
    img.set_qform(Q, code=2); img.set_sform(None, code=0)
    img.header.set_xyzt_units("micron"); img.header["descrip"] = b"spimfetch test"
    img.header["intent_code"] = 1007
    path = os.path.join(out, f"h_{endian == '>' and 'be' or 'le'}.nii.gz")
    nib.save(img, path)
    back = nib.load(path)
    rows[os.path.basename(path)] = {"affine": back.affine.tolist(), "zooms": [float(z) for z in back.header.get_zooms()]}
nib.save(nib.Nifti2Image(np.zeros((2, 2, 2), np.int16), np.eye(4)), os.path.join(out, "two.nii"))
print(json.dumps(rows))
`;

Deno.test({
  name: missing
    ? `parseNiftiHeader() reads nibabel's headers (${missing})`
    : "parseNiftiHeader() reads nibabel's headers of either byte order, a 180° qform included",
  ignore: missing !== undefined,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const rows = JSON.parse(await runPython(WRITER, [dir])) as Record<
        string,
        { affine: number[][]; zooms: number[] }
      >;
      for (const [name, little] of [["h_le.nii.gz", true], ["h_be.nii.gz", false]] as const) {
        const bytes = new Uint8Array(gunzipSync(await Deno.readFile(`${dir}/${name}`)));
        const header = parseNiftiHeader(bytes, name);
        assertEquals(
          [header.littleEndian, header.dims, header.shape, header.dtype, header.intentCode],
          [little, [6, 5, 4], [4, 5, 6], "int16", 1007],
          name,
        );
        assertEquals([header.spatialUnit, header.description, header.qformCode, header.sformCode], [
          "um",
          "spimfetch test",
          2,
          0,
        ]);
        const expected = rows[name];
        header.affine.forEach((row, r) =>
          row.forEach((v, c) => assertAlmostEquals(v, expected.affine[r][c], 1e-6, `${name} [${r}][${c}]`))
        );
        // In LPS the x and y rows change sign: RAS diag(−0.2, 0.3, −0.4) is LPS diag(0.2, −0.3, −0.4).
        const geometry = niftiGeometry(header, name);
        geometry.spacing.forEach((s, j) => assertAlmostEquals(s, expected.zooms[j], 1e-6));
        assertEquals(geometry.direction.map((row) => row.map(Math.round)), [[1, 0, 0], [0, -1, 0], [
          0,
          0,
          -1,
        ]]);
        [-4, 5, 6].forEach((v, r) => assertAlmostEquals(geometry.origin[r], v, 1e-6));
      }
      const two = await Deno.readFile(`${dir}/two.nii`);
      assertThrows(() => parseNiftiHeader(two, "two.nii"), NiftiFormatError, "sizeof_hdr is 540 (NIfTI-2)");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("parseNiftiHeader() refuses a vox_offset inside the header and a zero size, naming the field", () => {
  const header = (edit: (view: DataView) => void): Uint8Array => {
    const bytes = new Uint8Array(348);
    const view = new DataView(bytes.buffer);
    view.setInt32(0, 348, true);
    [3, 2, 2, 2].forEach((n, i) => view.setInt16(40 + 2 * i, n, true));
    view.setInt16(70, 512, true);
    view.setFloat32(108, 352, true);
    bytes.set([0x6e, 0x2b, 0x31], 344);
    edit(view);
    return bytes;
  };
  assertEquals(parseNiftiHeader(header(() => {}), "ok.nii").voxelCount, 8);
  assertThrows(
    () => parseNiftiHeader(header((v) => v.setFloat32(108, 100, true)), "a.nii"),
    NiftiFormatError,
    "vox_offset is 100, expected a whole number ≥ 348",
  );
  assertThrows(
    () => parseNiftiHeader(header((v) => v.setInt16(44, 0, true)), "b.nii"),
    NiftiFormatError,
    "dim is [3, 2,0,2]: expected sizes ≥ 1",
  );
  assertThrows(
    () => parseNiftiHeader(header((v) => v.setInt16(40, 9, true)), "c.nii"),
    NiftiFormatError,
    "dim[0] is 9",
  );
});
