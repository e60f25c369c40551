import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { gunzipSync } from "fflate";
import zlib from "node:zlib";
import { OutputExistsError } from "../../lib/core/errors.ts";
import { indexToPhysical } from "../../lib/orient/orient.ts";
import { ALL_ORIENTATIONS, directionOfOrientation } from "../../lib/orient/transform.ts";
import type { ImageGeometry, Volume } from "../../lib/core/volume.ts";
import { writeNifti } from "../../lib/write/nifti.ts";
import { buildNrrdHeader, writeNrrd } from "../../lib/write/nrrd.ts";
import { nrrdIndexToLps, nrrdIndexToWorld, parseNrrdHeader, readNrrd } from "../../testing/nrrd.ts";
import { readNifti } from "../../testing/nifti.ts";

// Headers from the NRRD definition and its example pages (teem.sourceforge.net/nrrd/format.html and
// /nrrd/files/index.html), and one written by 3D Slicer (RawImageGuess), as published.
const SPEC_MINIMAL = "NRRD0001\ntype: unsigned char\ndimension: 2\nsizes: 128 128\nencoding: raw\n";
const SPEC_DETACHED = `NRRD0001
content: freshman year foolishness in Risley Hall
type: unsigned char
dimension: 2
# the original size was much larger
sizes: 128 128
encoding: raw
data file: ./fool.pgm
# this skips past the PPM header
line skip: 3
`;
const SPEC_DWI = `NRRD0005
# Complete NRRD file format specification at:
# http://teem.sourceforge.net/nrrd/format.html
content: exam
type: short
dimension: 4
space: right-anterior-superior
sizes: 128 128 4 51
space directions: (1.0,0,0) (0,1.0,0) (0,0,1.0) none
centerings: cell cell cell none
kinds: space space space list
endian: little
encoding: raw
space units: "mm" "mm" "mm"
space origin: (0,0,0)
measurement frame: (1,0,0) (0,1,0) (0,0,1)
modality:=DWMRI
DWMRI_b-value:=1000
DWMRI_gradient_0000:=0 0 0
`;
const SLICER_RAW_IMAGE_GUESS = `NRRD0004
# Complete NRRD file format specification at:
# http://teem.sourceforge.net/nrrd/format.html
type: uchar
dimension: 3
space: left-posterior-superior
sizes: 180 203 180
space directions: (0.8569999999999999, 0.0, 0.0) (0.0, 0.591, 0.0) (0.0, 0.0, 0.8500000000000001)
kinds: domain domain domain
endian: big
encoding: raw
space origin: (0.0, 0.0, 0.0)
byte skip: 55681931
data file: P1_Echo1.3dus
`;

function labelled(size: [number, number, number]): Volume<Uint16Array> {
  const [nx, ny, nz] = size;
  return {
    data: Uint16Array.from({ length: nx * ny * nz }, (_, i) => i),
    shape: [nz, ny, nx],
    dtype: "uint16",
  };
}

Deno.test("the test NRRD reader parses the format definition's examples", () => {
  const minimal = parseNrrdHeader(SPEC_MINIMAL);
  assertEquals([minimal.version, minimal.type, minimal.dimension, minimal.sizes, minimal.encoding], [
    1,
    "uint8",
    2,
    [128, 128],
    "raw",
  ]);
  assertStrictEquals(minimal.space, undefined);

  const detached = parseNrrdHeader(SPEC_DETACHED);
  assertStrictEquals(detached.fields.get("content"), "freshman year foolishness in Risley Hall");
  assertStrictEquals(detached.fields.get("data file"), "./fool.pgm");
  assertStrictEquals(detached.fields.get("line skip"), "3");
  assertEquals(detached.comments, ["the original size was much larger", "this skips past the PPM header"]);

  const dwi = parseNrrdHeader(SPEC_DWI);
  assertEquals([dwi.type, dwi.dimension, dwi.sizes, dwi.space, dwi.spaceDimension], [
    "int16",
    4,
    [128, 128, 4, 51],
    "right-anterior-superior",
    3,
  ]);
  assertEquals(dwi.spaceDirections, [[1, 0, 0], [0, 1, 0], [0, 0, 1], undefined]);
  assertEquals(dwi.kinds, ["space", "space", "space", "list"]);
  assertEquals(dwi.spaceUnits, ["mm", "mm", "mm"]);
  assertStrictEquals(dwi.keyValues.get("DWMRI_b-value"), "1000");
  assertStrictEquals(dwi.keyValues.get("DWMRI_gradient_0000"), "0 0 0");
  assertEquals(nrrdIndexToWorld(dwi, [2, 3, 1, 7]), [2, 3, 1]);
  // RAS (2, 3, 1) is LPS (−2, −3, 1).
  assertEquals(nrrdIndexToLps(dwi, [2, 3, 1, 7]), [-2, -3, 1]);

  const slicer = parseNrrdHeader(SLICER_RAW_IMAGE_GUESS);
  assertEquals([slicer.type, slicer.endian, slicer.space], ["uint8", "big", "left-posterior-superior"]);
  assertEquals(slicer.spaceDirections, [[0.8569999999999999, 0, 0], [0, 0.591, 0], [
    0,
    0,
    0.8500000000000001,
  ]]);
  assertEquals(nrrdIndexToLps(slicer, [1, 2, 3]), [0.8569999999999999, 1.182, 3 * 0.8500000000000001]);
});

Deno.test("the test NRRD reader refuses malformed headers", () => {
  assertThrows(() => parseNrrdHeader("NRRD9\ntype: float\n"), SyntaxError, "magic");
  assertThrows(
    () => parseNrrdHeader("NRRD0004\ntype: quaternion\ndimension: 1\nsizes: 1\nencoding: raw\n"),
    SyntaxError,
  );
  assertThrows(
    () => parseNrrdHeader("NRRD0004\ntype: float\ndimension: 2\nsizes: 1\nencoding: raw\n"),
    SyntaxError,
  );
  assertThrows(
    () =>
      parseNrrdHeader(
        "NRRD0004\ntype: float\ndimension: 2\nsizes: 1 1\nspace: RAS\nspace directions: (1,0) (0,1)\nencoding: raw\n",
      ),
    SyntaxError,
  );
});

Deno.test("buildNrrdHeader() writes the fields in the definition's syntax", () => {
  const header = buildNrrdHeader(
    { shape: [4, 3, 2], dtype: "float32" },
    {
      spacing: [0.025, 0.025, 0.025],
      origin: [-1.5, 2, 0.25],
      direction: directionOfOrientation(["posterior", "inferior", "right"]),
    },
    {
      space: "RAS",
      gzip: false,
      content: "two\nlines",
      keyValues: { "spimfetch_source": "s3://b/k", "a:=b": "c\\d" },
    },
  );
  assert(header.startsWith("NRRD0004\n"));
  assert(header.endsWith("\n\n"));
  assertStringIncludes(header, "type: float\n");
  assertStringIncludes(header, "sizes: 2 3 4\n");
  assertStringIncludes(header, "space: right-anterior-superior\n");
  // PIR in RAS: x toward posterior is −y, y toward inferior is −z, z toward right is +x.
  assertStringIncludes(header, "space directions: (0,-0.025,0) (0,0,-0.025) (0.025,0,0)\n");
  assertStringIncludes(header, "space origin: (1.5,-2,0.25)\n");
  assertStringIncludes(header, "encoding: raw\n");
  assertStringIncludes(header, "content: two\\nlines\n");
  const parsed = parseNrrdHeader(header);
  assertStrictEquals(parsed.keyValues.get("spimfetch_source"), "s3://b/k");
  assertStrictEquals(parsed.keyValues.get("a:b"), "c\\d");
  assertThrows(() =>
    buildNrrdHeader({ shape: [1, 1, 0], dtype: "uint8" }, {
      spacing: [1, 1, 1],
      origin: [0, 0, 0],
      direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    }), RangeError);
  assertThrows(
    () =>
      buildNrrdHeader({ shape: [1, 1, 1], dtype: "uint8" }, {
        spacing: [1, 1, 1],
        origin: [0, 0, 0],
        direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
      }, { space: "LAS" as "LPS" }),
    TypeError,
  );
});

Deno.test("writeNrrd() output reads back, raw and gzip, in LPS and RAS, with the same voxel-to-LPS map", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const volume = labelled([5, 4, 3]);
    const geometry: ImageGeometry = {
      spacing: [0.025, 0.03, 0.05],
      origin: [10.5, -3.25, 7],
      direction: directionOfOrientation(["posterior", "inferior", "right"]),
    };
    for (const gzip of [false, true]) {
      for (const space of ["LPS", "RAS"] as const) {
        const path = `${dir}/v_${gzip}_${space}.nrrd`;
        const result = await writeNrrd(path, volume, { geometry, gzip, space });
        const bytes = await Deno.readFile(path);
        assertStrictEquals(result.bytes, bytes.length);
        const { header, data } = readNrrd(bytes);
        assertEquals([header.type, header.encoding, header.sizes], ["uint16", gzip ? "gzip" : "raw", [
          5,
          4,
          3,
        ]]);
        assertEquals(Array.from(data), Array.from(volume.data));
        for (const index of [[0, 0, 0], [4, 3, 2], [1, 2, 1]] as [number, number, number][]) {
          const expected = indexToPhysical(geometry, index);
          const got = nrrdIndexToLps(header, index);
          for (let p = 0; p < 3; p++) assertAlmostEquals(got[p], expected[p], 1e-12);
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("NRRD and NIfTI written for the same geometry agree on every voxel's position, for all 48 orientations", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const volume = labelled([3, 4, 2]);
    for (const [n, axes] of ALL_ORIENTATIONS.entries()) {
      const geometry: ImageGeometry = {
        spacing: [0.025, 0.0144, 0.016],
        origin: [1.25, -0.5, 3],
        direction: directionOfOrientation(axes),
      };
      await writeNrrd(`${dir}/${n}.nrrd`, volume, { geometry });
      await writeNifti(`${dir}/${n}.nii.gz`, volume, { geometry });
      const fromNrrd = readNrrd(await Deno.readFile(`${dir}/${n}.nrrd`));
      const fromNifti = readNifti(await Deno.readFile(`${dir}/${n}.nii.gz`));
      assertEquals(Array.from(fromNrrd.data), Array.from(new Uint16Array(fromNifti.image)));
      for (const index of [[0, 0, 0], [2, 3, 1], [1, 0, 1]] as [number, number, number][]) {
        // nifti-reader-js gives the sform as a RAS affine; the NRRD header says its own space.
        const ras = [0, 1, 2].map((r) =>
          fromNifti.header.affine[r][0] * index[0] + fromNifti.header.affine[r][1] * index[1] +
          fromNifti.header.affine[r][2] * index[2] + fromNifti.header.affine[r][3]
        );
        const lps = nrrdIndexToLps(fromNrrd.header, index);
        assertAlmostEquals(lps[0], -ras[0], 1e-6);
        assertAlmostEquals(lps[1], -ras[1], 1e-6);
        assertAlmostEquals(lps[2], ras[2], 1e-6);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeNrrd() gzip output is one gzip member, streams slabs, and casts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const volume = labelled([64, 64, 9]);
    const geometry: ImageGeometry = {
      spacing: [1, 1, 1],
      origin: [0, 0, 0],
      direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    };
    const plane = 64 * 64;
    const slabs = async function* (): AsyncGenerator<Uint16Array> {
      for (let z = 0; z < 9; z += 4) yield volume.data.slice(z * plane, Math.min(9, z + 4) * plane);
    };
    await writeNrrd(`${dir}/s.nrrd`, { shape: volume.shape, dtype: "uint16", slabs: slabs() }, {
      geometry,
      outputType: "float32",
      gzipLevel: 6,
    });
    const bytes = await Deno.readFile(`${dir}/s.nrrd`);
    const { header, data } = readNrrd(bytes);
    assertStrictEquals(header.type, "float32");
    assertEquals(Array.from(data), Array.from(volume.data));
    // fflate's gunzip (used by readNrrd) stops after the first member; node:zlib reads them all.
    const payload = bytes.subarray(header.dataOffset);
    assertEquals(gunzipSync(payload).length, new Uint8Array(zlib.gunzipSync(payload)).length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeNrrd() refuses other extensions, existing files and short data, leaving nothing behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const geometry: ImageGeometry = {
      spacing: [1, 1, 1],
      origin: [0, 0, 0],
      direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    };
    const volume = labelled([2, 2, 2]);
    await assertRejects(() => writeNrrd(`${dir}/x.nhdr`, volume, { geometry }), TypeError, ".nrrd");
    await writeNrrd(`${dir}/x.nrrd`, volume, { geometry });
    const before = await Deno.readFile(`${dir}/x.nrrd`);
    await assertRejects(
      () => writeNrrd(`${dir}/x.nrrd`, volume, { geometry, gzip: false }),
      OutputExistsError,
    );
    assertEquals(await Deno.readFile(`${dir}/x.nrrd`), before);
    await writeNrrd(`${dir}/x.nrrd`, volume, { geometry, gzip: false, force: true });
    assertStrictEquals(readNrrd(await Deno.readFile(`${dir}/x.nrrd`)).header.encoding, "raw");
    await assertRejects(
      () => writeNrrd(`${dir}/y.nrrd`, { ...volume, data: new Uint16Array(3) }, { geometry }),
      RangeError,
      "expected 8",
    );
    await assertRejects(() => writeNrrd(`${dir}/y.nrrd`, volume, { geometry, gzipLevel: 10 }), RangeError);
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assertEquals(names, ["x.nrrd"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** One slab, then a failure: a source that goes away midway. */
async function* failingSlabs(): AsyncGenerator<Uint16Array> {
  yield new Uint16Array(1024 * 1024); // two planes of 512 × 1024: more than one gzip segment
  throw new Error("the source went away");
}

Deno.test("writeNrrd() lets its gzip workers go when the slabs fail midway", async () => {
  const { sharedWorkerPool } = await import("../../lib/codecs/worker_pool.ts");
  const dir = await Deno.makeTempDir();
  try {
    const geometry: ImageGeometry = {
      spacing: [1, 1, 1],
      origin: [0, 0, 0],
      direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    };
    await assertRejects(
      () =>
        writeNrrd(`${dir}/x.nrrd`, { shape: [4, 512, 1024], dtype: "uint16", slabs: failingSlabs() }, {
          geometry,
        }),
      Error,
      "the source went away",
    );
    // A held pool keeps its workers (and the process) alive; a released one stops them once the segments in
    // flight are done.
    for (let i = 0; i < 200 && sharedWorkerPool().workers > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertStrictEquals(sharedWorkerPool().workers, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
