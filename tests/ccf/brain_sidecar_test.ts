/**
 * The sidecar record of a brain written in the CCF, built from a space whose facts are given by hand: what
 * it must say about the source, the corrections, the transforms (in the order the pull applies them) and
 * the comparison. The file itself is read back in write_brain_in_ccf_test.
 *
 * @module
 */
import { assertEquals, assertMatch, assertStrictEquals } from "@std/assert";
import { brainSidecar, type BrainSidecarInput } from "../../lib/ccf/_brain_sidecar.ts";
import type { CcfSpace } from "../../lib/ccf/mod.ts";

const file = (transform: string, name: string): { role: string; transform: string; uri: string } => ({
  role: transform,
  transform,
  uri: `s3://aind-open-data/reg/${name}`,
});
// The files as openCcfSpace lists them: in the point chain's order LS → CCF, the inverse warps included.
const FILES = [
  file("lsAffine", "ls_to_template_SyN_0GenericAffine.mat"),
  file("lsInverseWarp", "ls_to_template_SyN_1InverseWarp.nii.gz"),
  file("lsWarp", "ls_to_template_SyN_1Warp.nii.gz"),
  file("templateAffine", "syn_0GenericAffine.mat"),
  file("templateWarp", "syn_1Warp.nii.gz"),
];

// Only what the sidecar reads of a space; the rest of CcfSpace (image, transforms) plays no part.
const SPACE = {
  asset: { name: "SmartSPIM_700002_2024-05-01_10-00-00_stitched_2024-05-02_10-00-00", subjectId: "700002" },
  registration: {
    bucket: "aind-open-data",
    channel: "Ex_639_Em_667",
    channelFrom: "processing.json",
    version: "0.0.33",
  },
  acquisition: {
    uri: "s3://aind-open-data/SmartSPIM_700002_2024-05-01_10-00-00/acquisition.json",
    axes: [
      { name: "X", dimension: 2, direction: { from: "left", to: "right" }, rawDirection: "Left_to_right" },
      {
        name: "Y",
        dimension: 1,
        direction: { from: "posterior", to: "anterior" },
        rawDirection: "Posterior_to_anterior",
      },
      {
        name: "Z",
        dimension: 0,
        direction: { from: "superior", to: "inferior" },
        rawDirection: "Superior_to_inferior",
      },
    ],
  },
  corrections: ["ras-corner-anchor"],
  warnings: ["capsule 0.0.33 is newer than verified"],
  size: [48, 56, 40],
  geometry: {
    spacing: [0.18, 0.18, 0.2],
    origin: [1, 2, 3],
    direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
  },
  files: FILES,
} as unknown as CcfSpace;

const INPUT: BrainSidecarInput = {
  space: SPACE,
  channel: "Ex_488_Em_525",
  image: "s3://aind-open-data/asset/image_tile_fusing/OMEZarr/Ex_488_Em_525.zarr",
  level: 2,
  grid: {
    size: [528, 320, 456],
    geometry: {
      spacing: [0.025, 0.025, 0.025],
      origin: [0, 0, 0],
      direction: [[0, 0, -1], [1, 0, 0], [0, -1, 0]],
    },
  },
  dtype: "uint16",
  file: { path: "out/brain_ccf.nii.gz", format: "nifti-gz", bytes: 1234 },
  comparison: undefined,
  comparisonSkipped: undefined,
  created: new Date("2026-12-03T12:00:00Z"),
};

Deno.test("brainSidecar() says where the brain came from and what was written", () => {
  const record = brainSidecar(INPUT) as Record<string, Record<string, unknown>>;
  assertStrictEquals(record.created as unknown, "2026-12-03T12:00:00.000Z");
  assertEquals(record.file, {
    path: "out/brain_ccf.nii.gz",
    format: "nifti-gz",
    bytes: 1234,
    dtype: "uint16",
  });
  assertEquals(record.files, [{ path: "out/brain_ccf.nii.gz", format: "nifti-gz", bytes: 1234 }]);
  assertEquals(record.source, {
    bucket: "aind-open-data",
    asset: "SmartSPIM_700002_2024-05-01_10-00-00_stitched_2024-05-02_10-00-00",
    subject: "700002",
    channel: "Ex_488_Em_525",
    image: "s3://aind-open-data/asset/image_tile_fusing/OMEZarr/Ex_488_Em_525.zarr",
    level: 2,
    acquisition: "s3://aind-open-data/SmartSPIM_700002_2024-05-01_10-00-00/acquisition.json",
  });
  // X to the right, Y to anterior, Z to inferior: nibabel's RAI; the CCF grid is PIR.
  assertEquals(record.orientation, { source: { nibabel: "RAI" }, output: { nibabel: "PIR" } });
  assertEquals(record.output.size, [528, 320, 456]);
  assertEquals(record.output.spacing, [0.025, 0.025, 0.025]);
});

Deno.test("brainSidecar() lists the corrections as caveats and the transforms in the pull's order", () => {
  const record = brainSidecar(INPUT) as Record<string, Record<string, unknown>>;
  assertEquals(record.acquisition.caveats, [
    { id: "ras-corner-anchor", corrected: true },
    { id: "capsule 0.0.33 is newer than verified", corrected: false },
  ]);
  assertStrictEquals(record.registration.capsuleVersion, "0.0.33");
  assertEquals(record.registration.pipelineLevel0, {
    size: [48, 56, 40],
    spacing: [0.18, 0.18, 0.2],
    origin: [1, 2, 3],
    direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
  });
  assertMatch((record.registration.corrections as string[])[0], /^ras-corner-anchor: /);
  // A CCF voxel goes through the template's warp and affine, then the LS warp and affine: q = A_ls(W_ls(A_t(W_t(c)))).
  assertEquals((record.transforms.used as { uri: string }[]).map((f) => f.uri.split("/").pop()), [
    "syn_1Warp.nii.gz",
    "syn_0GenericAffine.mat",
    "ls_to_template_SyN_1Warp.nii.gz",
    "ls_to_template_SyN_0GenericAffine.mat",
  ]);
  assertEquals(record.transforms.all, FILES);
});

Deno.test("brainSidecar() records the comparison, or why none was made, or null when none was asked", () => {
  assertStrictEquals(brainSidecar(INPUT).comparison, null);
  assertEquals(brainSidecar({ ...INPUT, comparisonSkipped: "no moved_ls_to_ccf.nii.gz" }).comparison, {
    skipped: "no moved_ls_to_ccf.nii.gz",
  });
  const comparison = { uri: "s3://aind-open-data/reg/moved_ls_to_ccf.nii.gz", ncc: 0.93, voxels: 77 };
  assertEquals(brainSidecar({ ...INPUT, comparison }).comparison, comparison);
});
