/**
 * `readVolumeFile()` against files written by an independent writer (Debian's nibabel, through python3) and by
 * hand (NRRD text headers), and the stride that keeps an image under the budget.
 *
 * Needs python3 with nibabel and numpy for the NIfTI cases: skipped locally with one line when missing,
 * failing when `CI=true`.
 *
 * @module
 */
import { assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { gzipSync } from "fflate";
import { MetadataError } from "../../lib/core/errors.ts";
import { parsePointsCsv, readVolumeFile, strideForBudget } from "../../lib/view/mod.ts";
import { PointsCsvError } from "../../lib/ccf/mod.ts";

/** Debian's Python, which has Debian's nibabel (a `python3` first on PATH may be another). */
const PYTHON = "/usr/bin/python3";

async function nibabelMissing(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(PYTHON, { args: ["-c", "import nibabel, numpy"], stderr: "null" })
      .output();
    if (out.success) return undefined;
  } catch { /* no python3 */ }
  const line = "python3 with nibabel and numpy is not installed (apt-get install python3-nibabel)";
  if (Deno.env.get("CI") === "true") throw new Error(`CI=true but ${line}`);
  return line;
}

const missing = await nibabelMissing();
if (missing) console.warn(`WARNING: nibabel cases skipped: ${missing}`);

// A 5 × 4 × 3 (x, y, z) image, value 100·x + 10·y + z, with an oblique-free but flipped and shifted affine.
const NIBABEL = `
import sys, numpy as np, nibabel as nib
x, y, z = np.meshgrid(np.arange(5), np.arange(4), np.arange(3), indexing="ij")
data = (100 * x + 10 * y + z).astype(np.int16)
affine = np.array([[0, 0, -0.5, 10.0], [0.25, 0, 0, -20.0], [0, 2.0, 0, 30.0], [0, 0, 0, 1]])
img = nib.Nifti1Image(data, affine)
img.set_sform(affine, code=1)
img.set_qform(affine, code=1)
nib.save(img, sys.argv[1])
`;

Deno.test({
  name: missing
    ? `readVolumeFile() reads nibabel's NIfTI (${missing})`
    : "readVolumeFile() reads a .nii.gz written by nibabel: values in x-fastest order and its geometry in LPS",
  ignore: missing !== undefined,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const path = join(dir, "nib.nii.gz");
      const out = await new Deno.Command(PYTHON, { args: ["-c", NIBABEL, path], stderr: "piped" }).output();
      assertEquals(out.success, true, new TextDecoder().decode(out.stderr));
      const shown = await readVolumeFile(path);
      assertEquals([shown.volume.shape, shown.volume.dtype, shown.step], [[3, 4, 5], "int16", 1]);
      for (const [x, y, z] of [[0, 0, 0], [4, 3, 2], [2, 1, 0], [1, 3, 2]]) {
        assertEquals(shown.volume.data[(z * 4 + y) * 5 + x], 100 * x + 10 * y + z);
      }
      // RAS columns (0, 0.25, 0), (0, 0, 2), (-0.5, 0, 0) → spacing 0.25, 2, 0.5; LPS flips the first two rows.
      assertEquals(shown.geometry.spacing, [0.25, 2, 0.5]);
      assertEquals(shown.geometry.direction, [[0, 0, 1], [-1, 0, 0], [0, 1, 0]]);
      [-10, 20, 30].forEach((v, a) => assertAlmostEquals(shown.geometry.origin[a], v, 1e-6));
      // Over a budget of 30 int16 voxels, every 2nd voxel: (3, 2, 2) voxels (x, y, z) and double spacing.
      const small = await readVolumeFile(path, { budgetBytes: 30 });
      assertEquals([small.step, small.volume.shape], [2, [2, 2, 3]]);
      assertEquals(small.volume.data[(1 * 2 + 1) * 3 + 2], 100 * 4 + 10 * 2 + 2);
      assertEquals(small.geometry.spacing, [0.5, 4, 1]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("readVolumeFile() reads a gzip-encoded NRRD in LPS and RAS spaces", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const voxels = new Uint16Array(4 * 3 * 2).map((_, i) => i * 3);
    const bytes = new Uint8Array(voxels.buffer);
    for (const space of ["left-posterior-superior", "right-anterior-superior"]) {
      const header = `NRRD0004\ntype: uint16\ndimension: 3\nspace: ${space}\nsizes: 4 3 2\n` +
        `space directions: (0.5,0,0) (0,0.25,0) (0,0,2)\nendian: little\nencoding: gzip\n` +
        `space origin: (1,2,3)\n\n`;
      const path = join(dir, "a.nrrd");
      const head = new TextEncoder().encode(header);
      const body = gzipSync(bytes);
      const file = new Uint8Array(head.length + body.length);
      file.set(head);
      file.set(body, head.length);
      await Deno.writeFile(path, file);
      const shown = await readVolumeFile(path);
      assertEquals(shown.volume.shape, [2, 3, 4]);
      assertEquals([...shown.volume.data], [...voxels]);
      assertEquals(shown.geometry.spacing, [0.5, 0.25, 2]);
      // In LPS the header's vectors and origin are ITK's as they are; in RAS their x and y change sign.
      const s = space.startsWith("left") ? 1 : -1;
      assertEquals(shown.geometry.direction, [[s, 0, 0], [0, s, 0], [0, 0, 1]]);
      assertEquals(shown.geometry.origin, [s * 1, s * 2, 3]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readVolumeFile() names the file and what was expected for a file that is not an image", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "x.nii"), "hello");
    await assertRejects(() => readVolumeFile(join(dir, "x.nii")), MetadataError, "x.nii: expected a NIfTI-1");
    await Deno.writeTextFile(
      join(dir, "t.nrrd"),
      "NRRD0004\ntype: uint16\ndimension: 2\nsizes: 2 2\nencoding: raw\n\n",
    );
    await assertRejects(() => readVolumeFile(join(dir, "t.nrrd")), MetadataError, "expected a 3-D NRRD");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("strideForBudget() takes the smallest stride that fits", () => {
  // 100³ uint16 = 2,000,000 bytes; stride 2 → 50³ · 2 = 250,000; stride 3 → 34³ · 2 = 78,608.
  assertEquals(strideForBudget([100, 100, 100], "uint16", 2_000_000), 1);
  assertEquals(strideForBudget([100, 100, 100], "uint16", 250_000), 2);
  assertEquals(strideForBudget([100, 100, 100], "uint16", 249_999), 3);
  assertThrows(() => strideForBudget([1, 1, 1], "uint16", 1), RangeError, "one voxel takes 2");
});

Deno.test("parsePointsCsv() places z,y,x through the geometry and ap,dv,ml in CCF, and names bad cells", () => {
  const geometry = {
    spacing: [0.5, 0.25, 2] as [number, number, number],
    origin: [1, 2, 3] as [number, number, number],
    direction: [[-1, 0, 0], [0, 1, 0], [0, 0, 1]] as [
      [number, number, number],
      [number, number, number],
      [number, number, number],
    ],
  };
  // Voxel (x, y, z) = (4, 8, 1): LPS = (1 − 0.5·4, 2 + 0.25·8, 3 + 2·1) = (−1, 4, 5).
  assertEquals(parsePointsCsv("id,z,y,x\nc1,1,8,4\n", { geometry }), [{ name: "c1", lps: [-1, 4, 5] }]);
  // Allen (ap, dv, ml) µm → LPS mm = (−ml, ap, −dv) / 1000.
  assertEquals(parsePointsCsv("ap,dv,ml\n1000,2000,3000\n"), [{ name: "1", lps: [-3, 1, -2] }]);
  assertThrows(() => parsePointsCsv("z,y,x\n1,2,oops\n", { geometry }), PointsCsvError, 'row 2 has "oops"');
  assertThrows(() => parsePointsCsv("a,b\n1,2\n"), PointsCsvError, "must name ap,dv,ml");
});
