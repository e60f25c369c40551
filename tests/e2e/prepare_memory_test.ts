/**
 * `prepareForRegistration` streams: a level served by a real S3-protocol server, resampled and reoriented
 * to PIR (which moves z across the output's planes, through the temporary file), written as `.nii` and
 * `.nrrd` from one read, in a process of its own whose peak RSS is measured. The control is the in-memory
 * road (`prepareVolume`, the road `prepareForRegistration` took before) on the same data in the same kind
 * of process. Voxels and geometry are compared with a reference computed independently in numpy (area
 * averaging by its definition, the PIR permutation by hand) and read back with nibabel.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { serveDataset } from "../../testing/fixture.ts";
import { listDir } from "../../testing/run_cli.ts";

const CHANNEL = "Ex_561_Em_593";
const PYTHON = "/usr/bin/python3";
// Level 0, (z, y, x): 480 MiB of uint16 at 20 µm, more than the streaming road's whole peak RSS.
const SHAPE: [number, number, number] = [384, 640, 1024];
const MiB = 2 ** 20;

/** Whether Debian's python3 with numpy and nibabel is there (CI installs them: `.ci/run`). */
async function havePython(): Promise<boolean> {
  const probe = await new Deno.Command(PYTHON, {
    args: ["-c", "import numpy, nibabel"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  return probe?.success === true;
}

async function runRoad(
  road: "streaming" | "in-memory",
  endpoint: string,
  options: Record<string, unknown>,
): Promise<Record<string, unknown> & { peakRss: number }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../testing/prepare_export.ts", import.meta.url).pathname,
      road,
      endpoint,
      JSON.stringify(options),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(output.success, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

// The reference, from the stored level alone: area averaging over z pairs (spacing 0.04 mm along the
// output's y, which is the source's z), means rounded half up as the native voxel type asks; then PIR by
// hand: output (k, j, i) holds input (z = j, y = ny − 1 − i, x = k). Geometry by hand from the acquisition
// axes (x toward right, y toward anterior, z toward inferior; voxel 0 at the far corner, ITK's convention):
// LPS of source (i, j, k) is ((nx−1−i)·s, (ny−1−j)·s, (nz−1−k)·s); the averaged z index m sits at source
// k = 2m + 0.5; so output (a, b, c) lies at LPS ((nx−1−c)·s, a·s, (nz−1.5−2b)·s), RAS (−L, −P, S).
const REFERENCE = `
import json, sys, zlib
import numpy as np, nibabel as nib
raw, nii, nrrd, nz, ny, nx = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7])
s = 0.02
level = np.fromfile(raw, dtype="<u2").reshape(nz, ny, nx)
averaged = np.empty((nz // 2, ny, nx), dtype=np.uint16)
for m in range(nz // 2):  # a pair of planes at a time: the whole level in float would not fit beside it
  pair = level[2 * m].astype(np.uint32) + level[2 * m + 1]
  averaged[m] = (pair + 1) // 2  # the mean of two, rounded half up: floor((a + b) / 2 + 0.5)
expected = np.ascontiguousarray(averaged[:, ::-1, :].transpose(2, 0, 1))  # (z, y, x) of the output
image = nib.load(nii)
got = np.asarray(image.dataobj).transpose(2, 1, 0)  # nibabel is (i, j, k); C order (z, y, x)
affine = np.array([
  [0, 0, s, -(nx - 1) * s],
  [-s, 0, 0, 0],
  [0, -2 * s, 0, (nz - 1.5) * s],
  [0, 0, 0, 1],
])
with open(nrrd, "rb") as f:
  text = f.read()
header, body = text.split(b"\\n\\n", 1)
nrrd_voxels = np.frombuffer(zlib.decompress(body, 31), dtype="<u2")
print(json.dumps({
  "shape": list(got.shape),
  "expectedShape": list(expected.shape),
  "voxelsEqual": bool(np.array_equal(got, expected)),
  "differing": int(np.count_nonzero(got != expected)) if got.shape == expected.shape else -1,
  "affineEqual": bool(np.allclose(image.affine, affine, atol=1e-6)),
  "affine": image.affine.tolist(),
  "expectedAffine": affine.tolist(),
  "nrrdEqual": bool(np.array_equal(nrrd_voxels, expected.ravel())),
}))
`;

Deno.test("prepareForRegistration() to PIR with a spacing streams: peak RSS stays below the level's size", async () => {
  if (!(await havePython())) {
    if (Deno.env.get("CI") === "true") {
      throw new Error("python3 with numpy and nibabel is missing: CI has them");
    }
    console.warn(
      "skipped: /usr/bin/python3 with numpy and nibabel not found (the numpy reference needs them)",
    );
    return;
  }
  const [nz, ny, nx] = SHAPE;
  await using fixture = await serveDataset({
    shape: SHAPE,
    chunks: [32, 128, 128],
    levels: 1,
    channels: [CHANNEL],
    spacing: [20, 20, 20],
  });
  const asset = fixture.dataset.stitchedNames[0];
  const dir = await Deno.makeTempDir();
  try {
    const levelBytes = nz * ny * nx * 2;
    const options = {
      level: 0,
      orientation: "PIR",
      // Along the output's axes (P, I, R): only the source's z is averaged, so the output is half the level.
      spacing: [0.02, 0.04, 0.02],
      maxSlabBytes: 8 * MiB,
      out: [`${dir}/brain.nii`, `${dir}/brain.nrrd`],
    };
    const streaming = await runRoad("streaming", fixture.s3.endpoint, options);
    const control = await runRoad("in-memory", fixture.s3.endpoint, options);
    const outputBytes = levelBytes / 2;
    console.log(
      `level ${(levelBytes / MiB).toFixed(0)} MiB, output ${(outputBytes / MiB).toFixed(0)} MiB: peak RSS ` +
        `${(streaming.peakRss / MiB).toFixed(0)} MiB streaming (.nii and .nrrd), ` +
        `${(control.peakRss / MiB).toFixed(0)} MiB in memory`,
    );
    // Bounded: below the level's size, where the in-memory road holds the output twice while reorienting.
    assert(streaming.peakRss < levelBytes, `streaming peak RSS ${(streaming.peakRss / MiB).toFixed(0)} MiB`);
    assert(
      control.peakRss - streaming.peakRss > outputBytes,
      `in memory ${(control.peakRss / MiB).toFixed(0)} MiB, streaming ${
        (streaming.peakRss / MiB).toFixed(0)
      } MiB`,
    );
    assertEquals(streaming.size, [ny, nz / 2, nx]);
    assertEquals(streaming.sidecars, [`${dir}/brain.json`]);
    // The temporary file is gone; the outputs and their one sidecar remain.
    assertEquals(await listDir(dir), ["brain.json", "brain.nii", "brain.nrrd"]);

    const raw = `${dir}/level0.raw`;
    const { data } = fixture.dataset.voxels(asset, CHANNEL, 0);
    await Deno.writeFile(raw, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const checked = await new Deno.Command(PYTHON, {
      args: ["-c", REFERENCE, raw, `${dir}/brain.nii`, `${dir}/brain.nrrd`, `${nz}`, `${ny}`, `${nx}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(checked.success, new TextDecoder().decode(checked.stderr));
    const report = JSON.parse(new TextDecoder().decode(checked.stdout));
    assertEquals(report.shape, report.expectedShape);
    assert(report.voxelsEqual, `${report.differing} voxels differ from numpy's`);
    assert(
      report.affineEqual,
      `affine ${JSON.stringify(report.affine)}, by hand ${JSON.stringify(report.expectedAffine)}`,
    );
    assert(report.nrrdEqual, "the NRRD's voxels differ from the reference");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
