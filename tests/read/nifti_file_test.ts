/**
 * `openNifti()` and `decodeNifti()` against files written by an independent writer, Debian's nibabel
 * (through `/usr/bin/python3`): every datatype of the table in both byte orders, gzipped and plain, a
 * `vox_offset` past an extension, scl_slope/scl_inter, sform, qform and neither, and truncated, damaged
 * and foreign files. Expected voxels, affines and scaled values are what nibabel itself reads back.
 *
 * Needs python3 with nibabel and numpy: skipped locally with one line when missing, failing when `CI=true`.
 *
 * @module
 */
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { decodeNifti, type NiftiInput, openNifti } from "../../lib/read/nifti_file.ts";
import { NiftiFormatError, niftiGeometry } from "../../lib/read/nifti_header.ts";
import { MetadataError } from "../../lib/core/errors.ts";
import type { VoxelType } from "../../lib/core/volume.ts";
import { nibabelMissing, runPython } from "../../testing/nibabel.ts";

const missing = await nibabelMissing();
if (missing) console.warn(`WARNING: nibabel cases of tests/read/nifti_file_test.ts skipped: ${missing}`);

/** What nibabel wrote, and what it reads back from each file. */
interface Written {
  file: string;
  dtype: VoxelType;
  bigEndian: boolean;
  shape: number[];
  /** nibabel's scaled values (get_fdata), in file order (x fastest). */
  values: number[];
  /** nibabel's `img.affine`, 4×4. */
  affine: number[][];
  /** `pixdim[1..3]`. */
  zooms: number[];
  voxOffset: number;
  /** scl_slope and scl_inter as nibabel reports them (null when unset). */
  slopeInter: [number | null, number | null];
  fileBytes: number;
}

// Values cover each type's range (negative for signed types, beyond 2^31 for uint32, fractions for floats);
// the sform is a flipped, shifted, permuted grid; the qform-only file is oblique (30° about z, 10° about x).
const WRITER = `
import sys, json, os, numpy as np, nibabel as nib
out = sys.argv[1]
x, y, z = np.meshgrid(np.arange(5), np.arange(4), np.arange(3), indexing="ij")
base = (x + 5 * y + 20 * z).astype(np.float64)
values = {
  "uint8": base * 4, "int8": (base - 30) * 4, "int16": (base - 30) * 1000, "uint16": base * 1100,
  "int32": (base - 30) * 70000000, "uint32": base * 70000000,
  "float32": (base - 30) * 0.25 + 0.125, "float64": (base - 30) / 3,
}
A = np.array([[0, 0, -0.5, 10.0], [0.25, 0, 0, -20.0], [0, 2.0, 0, 30.0], [0, 0, 0, 1]])
manifest = []
def record(path, img):
    back = nib.load(path)
    h = back.header
    # The loaded image's header has vox_offset and scaling reset: its array proxy keeps what the file said.
    slope, inter = back.dataobj.slope, back.dataobj.inter
    manifest.append({
        "file": os.path.basename(path), "dtype": str(back.get_data_dtype().newbyteorder("=")),
        "bigEndian": h.endianness == ">", "shape": list(back.shape),
        "values": np.asarray(back.get_fdata()).ravel(order="F").tolist(),
        "affine": back.affine.tolist(), "zooms": [float(v) for v in h.get_zooms()[:3]],
        "voxOffset": int(back.dataobj.offset),
        "slopeInter": [None if slope is None else float(slope), None if inter is None else float(inter)],
        "fileBytes": os.path.getsize(path),
    })
for dtype, v in values.items():
    for endian in "<>":
        for gz in (False, True):
            hdr = nib.Nifti1Header(endianness=endian)
            img = nib.Nifti1Image(v.astype(dtype), A, header=hdr)
            img.set_data_dtype(dtype)  # given a header, nibabel would otherwise keep its float32
            img.set_sform(A, code=1)
            img.set_qform(A, code=1)
            path = os.path.join(out, f"{dtype}_{'be' if endian == '>' else 'le'}.nii" + (".gz" if gz else ""))
            nib.save(img, path)
            record(path, img)
for endian, name in (("<", "ext_le.nii"), (">", "ext_be.nii.gz")):
    img = nib.Nifti1Image(values["int16"].astype(np.int16), A, header=nib.Nifti1Header(endianness=endian))
    img.set_data_dtype(np.int16)
    img.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"spimfetch " * 30))
    nib.save(img, os.path.join(out, name))
    record(os.path.join(out, name), img)
# Scaled: nibabel's header over raw int16 voxels, so that nibabel (not spimfetch) applies slope and inter.
hdr = nib.Nifti1Header()
hdr.set_data_shape((5, 4, 3)); hdr.set_data_dtype(np.int16); hdr.set_slope_inter(2.5, -3.0)
hdr.set_sform(A, code=1); hdr["vox_offset"] = 352
with open(os.path.join(out, "scaled.nii"), "wb") as f:
    f.write(hdr.binaryblock); f.write(b"\\0" * 4); f.write((base - 30).astype("<i2").tobytes(order="F"))
record(os.path.join(out, "scaled.nii"), None)
c, s, cx, sx = np.cos(np.pi / 6), np.sin(np.pi / 6), np.cos(np.pi / 18), np.sin(np.pi / 18)
R = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
Q = np.eye(4); Q[:3, :3] = R @ np.diag([0.3, 0.4, 1.5]); Q[:3, 3] = [1.5, -2.5, 7.0]
img = nib.Nifti1Image(values["float32"].astype(np.float32), None)
img.set_qform(Q, code=1); img.set_sform(None, code=0)
nib.save(img, os.path.join(out, "qform.nii.gz")); record(os.path.join(out, "qform.nii.gz"), img)
img = nib.Nifti1Image(values["uint8"].astype(np.uint8), None)
img.header.set_zooms((0.5, 0.75, 2.0)); img.set_qform(None, code=0); img.set_sform(None, code=0)
nib.save(img, os.path.join(out, "noxform.nii")); record(os.path.join(out, "noxform.nii"), img)
img = nib.Nifti1Image(np.stack([values["int16"], -values["int16"]], axis=3).astype(np.int16), A)
nib.save(img, os.path.join(out, "four_d.nii")); record(os.path.join(out, "four_d.nii"), img)
nib.save(nib.Nifti1Image(np.ones((2, 2, 2), np.complex64), A), os.path.join(out, "complex.nii"))
nib.save(nib.Nifti1Pair(np.ones((2, 2, 2), np.int16), A), os.path.join(out, "pair.hdr"))
print(json.dumps(manifest))
`;

/** nibabel's files, written once for the whole module into a folder removed when the tests end. */
let files: Promise<{ dir: string; written: Map<string, Written> }> | undefined;

function nibabelFiles(): Promise<{ dir: string; written: Map<string, Written> }> {
  files ??= (async () => {
    const dir = await Deno.makeTempDir();
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const manifest = JSON.parse(await runPython(WRITER, [dir])) as Written[];
    return { dir, written: new Map(manifest.map((w) => [w.file, w])) };
  })();
  return files;
}

async function readAll(input: NiftiInput, source?: string): Promise<number[]> {
  const file = await openNifti(input, { source });
  const out: number[] = [];
  for await (const run of file.runs()) out.push(...run);
  return out;
}

async function* inPieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

function nibTest(name: string, fn: (dir: string, written: Map<string, Written>) => Promise<void>): void {
  Deno.test({
    name: missing ? `${name} (${missing})` : name,
    ignore: missing !== undefined,
    fn: async () => {
      const { dir, written } = await nibabelFiles();
      await fn(dir, written);
    },
  });
}

nibTest(
  "openNifti() reads every datatype nibabel writes, both byte orders, gzipped and plain",
  async (dir, written) => {
    const cases = [...written.values()].filter((w) => /^(u?int|float)\d+_(le|be)\.nii/.test(w.file));
    assertEquals(cases.length, 32);
    for (const w of cases) {
      const path = join(dir, w.file);
      const bytes = await Deno.readFile(path);
      // The file really is in the byte order it claims: sizeof_hdr 348 read the other way is not 348.
      const head = w.file.endsWith(".gz") ? (await decodeNifti(bytes)).header : undefined;
      if (!w.file.endsWith(".gz")) {
        assertEquals(new DataView(bytes.buffer).getInt32(0, !w.bigEndian), 348, w.file);
      }
      const file = await openNifti(path);
      assertEquals(
        [file.header.dtype, file.header.littleEndian, file.header.shape, file.header.voxOffset],
        [w.dtype, !w.bigEndian, [w.shape[2], w.shape[1], w.shape[0]], w.voxOffset],
        w.file,
      );
      if (head) assertEquals(head.littleEndian, !w.bigEndian, w.file);
      const values: number[] = [];
      for await (const run of file.runs()) values.push(...run);
      assertEquals(values, w.values, w.file);
      // The affine is nibabel's (sform), to float32 precision.
      file.header.affine.forEach((row, r) =>
        row.forEach((v, c) => assertAlmostEquals(v, w.affine[r][c], 1e-6))
      );
    }
  },
);

nibTest("openNifti() reads the same voxels from a path, bytes, a stream and 7-byte pieces", async (dir) => {
  for (const name of ["int16_be.nii", "int16_be.nii.gz", "float64_le.nii.gz", "ext_be.nii.gz"]) {
    const path = join(dir, name);
    const bytes = await Deno.readFile(path);
    const expected = await readAll(path);
    assertEquals(await readAll(bytes), expected, name);
    assertEquals(await readAll((await Deno.open(path)).readable), expected, name);
    assertEquals(await readAll(inPieces(bytes, 7)), expected, name);
    assertEquals([...decodeNifti(bytes).voxels], expected, name);
  }
});

nibTest(
  "NiftiFile.read() returns exact counts: planes of a file read in turn equal its runs",
  async (dir, written) => {
    const w = written.get("uint32_be.nii.gz")!;
    const file = await openNifti(join(dir, w.file));
    const plane = w.shape[0] * w.shape[1];
    const planes: number[] = [];
    for (let z = 0; z < w.shape[2]; z++) {
      const voxels = await file.read(plane);
      assert(voxels instanceof Uint32Array);
      assertEquals(voxels.length, plane);
      planes.push(...voxels);
    }
    assertEquals(planes, w.values);
    assertEquals(file.remaining, 0);
    await assertRejects(() => file.read(1), RangeError, "up to the 0 left");
  },
);

nibTest(
  "openNifti() skips an extension up to vox_offset > 352, in both byte orders",
  async (dir, written) => {
    for (const name of ["ext_le.nii", "ext_be.nii.gz"]) {
      const w = written.get(name)!;
      assert(w.voxOffset > 352, `${name}: nibabel wrote vox_offset ${w.voxOffset}`);
      const file = await openNifti(join(dir, name));
      assertEquals(file.header.voxOffset, w.voxOffset);
      const values: number[] = [];
      for await (const run of file.runs()) values.push(...run);
      assertEquals(values, w.values, name);
    }
  },
);

nibTest("the header carries scl_slope/scl_inter as nibabel applies them", async (dir, written) => {
  const scaled = written.get("scaled.nii")!;
  assertEquals(scaled.slopeInter, [2.5, -3]);
  const file = await openNifti(join(dir, "scaled.nii"));
  assertEquals(file.header.scaling, { slope: 2.5, inter: -3 });
  const raw = [...await file.read(file.header.voxelCount)];
  assertEquals(raw.map((v) => v * 2.5 - 3), scaled.values);
  // nibabel's own unscaled files: no scaling to apply, whatever it stored (NaN or 1 and 0).
  assertEquals(decodeNifti(await Deno.readFile(join(dir, "int16_le.nii"))).header.scaling, undefined);
});

nibTest(
  "geometry: sform, else an oblique qform, else pixdim (origin 0), in RAS and in ITK's LPS",
  async (dir, written) => {
    const q = written.get("qform.nii.gz")!;
    const qform = (await decodeNifti(await Deno.readFile(join(dir, q.file)))).header;
    assertEquals([qform.affineFrom, qform.sformCode, qform.qformCode], ["qform", 0, 1]);
    qform.affine.forEach((row, r) => row.forEach((v, c) => assertAlmostEquals(v, q.affine[r][c], 1e-5)));
    // ITK geometry: spacing = nibabel's zooms; LPS = RAS with rows x and y negated; direction = columns / zoom.
    const geometry = niftiGeometry(qform, q.file);
    geometry.spacing.forEach((s, j) => assertAlmostEquals(s, q.zooms[j], 1e-6));
    const flip = [-1, -1, 1];
    for (let r = 0; r < 3; r++) {
      assertAlmostEquals(geometry.origin[r], flip[r] * q.affine[r][3], 1e-5);
      for (let j = 0; j < 3; j++) {
        assertAlmostEquals(geometry.direction[r][j], flip[r] * q.affine[r][j] / q.zooms[j], 1e-5);
      }
    }
    // Neither code set: nifti1.h's method 1, pixdim on the diagonal and the origin at voxel 0 (nibabel
    // would centre its fallback affine instead, so this expectation is by hand).
    const none = decodeNifti(await Deno.readFile(join(dir, "noxform.nii"))).header;
    assertEquals([none.affineFrom, none.affine], ["pixdim", [[0.5, 0, 0, 0], [0, 0.75, 0, 0], [0, 0, 2, 0]]]);
  },
);

nibTest(
  "openNifti() refuses a 4-D image unless anyRank, which streams every volume",
  async (dir, written) => {
    const path = join(dir, "four_d.nii");
    const error = await assertRejects(() => openNifti(path), NiftiFormatError, "dim is [4, 5,4,3,2]");
    assertEquals([error.problem, error.source], ["dim", path]);
    const w = written.get("four_d.nii")!;
    const file = await openNifti(path, { anyRank: true });
    assertEquals(file.header.dims, [5, 4, 3, 2]);
    const values: number[] = [];
    for await (const run of file.runs()) values.push(...run);
    assertEquals(values, w.values);
  },
);

nibTest(
  "openNifti() names the file and the field for a foreign type, a .hdr/.img pair and bad magic",
  async (dir) => {
    const complex = join(dir, "complex.nii");
    const error = await assertRejects(() => openNifti(complex), NiftiFormatError, "datatype 32 is not");
    assert(error.message.includes(complex) && error.message.includes("512 (uint16)"), error.message);
    await assertRejects(
      () => openNifti(join(dir, "pair.hdr")),
      NiftiFormatError,
      'magic is "ni1" (a .hdr/.img pair',
    );
    const bytes = await Deno.readFile(join(dir, "int16_le.nii"));
    bytes.set([0x6e, 0x2b, 0x32], 344); // "n+2"
    assertThrows(() => decodeNifti(bytes, { source: "n2.nii" }), NiftiFormatError, 'magic is "n+2"');
    const text = new TextEncoder().encode("NRRD0004\ntype: short\n".padEnd(400, " "));
    const foreign = assertThrows(() => decodeNifti(text, { source: "t.nii" }), MetadataError, "(in t.nii)");
    assert(foreign instanceof NiftiFormatError && foreign.problem === "not-nifti");
  },
);

nibTest(
  "a truncated file fails with the voxel byte counts; a cut .gz says how far it got",
  async (dir, written) => {
    const w = written.get("int16_le.nii")!;
    const bytes = await Deno.readFile(join(dir, w.file));
    const voxelBytes = w.fileBytes - w.voxOffset; // 120: 60 int16 voxels, as nibabel wrote them
    assertEquals(voxelBytes, 120);
    const cut = join(dir, "cut.nii");
    await Deno.writeFile(cut, bytes.subarray(0, bytes.length - 11));
    const error = await assertRejects(() => readAll(cut), NiftiFormatError, "ends after 109 of 120 bytes");
    assertEquals([error.problem, error.bytesRead, error.bytesExpected, error.source], [
      "truncated",
      109,
      120,
      cut,
    ]);
    assertThrows(
      () => decodeNifti(bytes.subarray(0, 400), { source: "c.nii" }),
      NiftiFormatError,
      "48 of 120",
    );
    await assertRejects(
      () => openNifti(bytes.subarray(0, 100)),
      NiftiFormatError,
      "the header is 100 bytes long",
    );
    // Plane by plane, a short file fails at the plane that cannot be filled (planes of 40 bytes: the third).
    const file = await openNifti(cut);
    await file.read(20);
    await file.read(20);
    await assertRejects(() => file.read(20), NiftiFormatError, "ends after 109 of 120 bytes");
    // A gzip stream cut in the middle of its voxels cannot be told from a damaged one: both are said.
    const big = written.get("float64_be.nii.gz")!;
    const gz = await Deno.readFile(join(dir, big.file));
    const gzCut = join(dir, "cut.nii.gz");
    await Deno.writeFile(gzCut, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const gzError = await assertRejects(() => readAll(gzCut), NiftiFormatError, "cut short or damaged after");
    assertEquals([gzError.problem, gzError.bytesExpected, gzError.source], ["gzip", 480, gzCut]);
  },
);

nibTest("openNifti() closes the file when cancelled, read to its end, or left by a break", async (dir) => {
  const path = join(dir, "uint16_le.nii.gz");
  (await openNifti(path)).cancel();
  const partly = await openNifti(path);
  await partly.read(3);
  await partly.cancel();
  for await (const _ of (await openNifti(path)).runs()) break;
  const whole = await openNifti(join(dir, "uint16_le.nii"));
  await whole.read(whole.header.voxelCount);
  // The test's resource sanitizer fails the test if any of these files is still open.
});

Deno.test("openNifti() refuses an unknown option and a signal that has fired", async () => {
  await assertRejects(() => openNifti(new Uint8Array(0), { sorce: "x" } as never), TypeError, "sorce");
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  const header = new Uint8Array(352);
  const view = new DataView(header.buffer);
  view.setInt32(0, 348, true);
  [3, 2, 1, 1].forEach((n, i) => view.setInt16(40 + 2 * i, n, true));
  view.setInt16(70, 2, true);
  view.setFloat32(108, 352, true);
  header.set([0x6e, 0x2b, 0x31], 344);
  const file = await openNifti(new Uint8Array([...header, 1, 2]), { signal: controller.signal });
  await assertRejects(() => file.read(2), Error, "stop");
  await file.cancel();
});
