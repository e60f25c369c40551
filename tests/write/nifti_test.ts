import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { gunzipSync } from "fflate";
import type * as nifti from "nifti-reader-js";
import { gunzipSync as zlibGunzipSync } from "node:zlib";
import { withAtomicFile } from "../../lib/write/atomic_file.ts";
import { OutputExistsError } from "../../lib/core/errors.ts";
import {
  allocateVoxels,
  type ImageGeometry,
  type Volume,
  type VoxelArray,
  type VoxelType,
} from "../../lib/core/volume.ts";
import { type VolumeSlabs, writeNifti, type WriteNiftiProgress } from "../../lib/write/nifti.ts";
import { readNifti as parseNifti } from "../../testing/nifti.ts";

const GEOMETRY: ImageGeometry = {
  spacing: [0.0144, 0.0144, 0.016],
  origin: [13.3056, 18.4176, 7.408],
  direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
};
/** The notes' RAS affine for that geometry, rows 0 to 2. */
const REFERENCE_SFORM = [0.0144, 0, 0, -13.3056, 0, 0.0144, 0, -18.4176, 0, 0, -0.016, 7.408];
const SHAPE: [number, number, number] = [5, 7, 9];
const DTYPES: VoxelType[] = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "float32", "float64"];

/** Deterministic voxels spanning the type's range: extremes, negatives, fractions. */
function voxels(dtype: VoxelType, length: number, seed = 1): VoxelArray {
  const data = allocateVoxels(dtype, length);
  let state = seed;
  const random = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < length; i++) {
    data[i] = dtype.startsWith("float")
      ? (random() - 0.5) * 10 ** Math.floor(random() * 12 - 4)
      : random() * 2 ** 32;
  }
  return data;
}

function volume(dtype: VoxelType, shape: [number, number, number] = SHAPE, seed = 1): Volume {
  return { data: voxels(dtype, shape[0] * shape[1] * shape[2], seed), shape, dtype };
}

function slabsOf(image: Volume, planes: number[]): VolumeSlabs {
  const plane = image.shape[1] * image.shape[2];
  async function* slabs(): AsyncGenerator<VoxelArray> {
    let z = 0;
    for (const n of planes) {
      yield image.data.subarray(z * plane, (z + n) * plane);
      z += n;
    }
  }
  return { shape: image.shape, dtype: image.dtype, slabs: slabs() };
}

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spimfetch_nifti_test_" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((entry) => entry.name).sort();
}

let gzipAvailable: boolean | undefined;

/** Runs the system `gzip -t` on the file when gzip is installed: an independent check of CRC and ISIZE. */
async function checkWithSystemGzip(path: string): Promise<void> {
  try {
    const { code, stderr } = await new Deno.Command("gzip", { args: ["-t", path], stdout: "null" }).output();
    gzipAvailable = true;
    assertEquals(code, 0, `gzip -t ${path}: ${new TextDecoder().decode(stderr)}`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    gzipAvailable = false;
  }
}

/** Reads a .nii or .nii.gz with the tests' independent reader, checking the gzip container on the way. */
async function readNifti(path: string): Promise<{ header: nifti.NIFTI1; image: ArrayBuffer }> {
  const file = await Deno.readFile(path);
  let raw = file;
  if (path.endsWith(".gz")) {
    assertEquals([file[0], file[1]], [0x1f, 0x8b], "gzip magic");
    raw = gunzipSync(file);
    // node:zlib inflates every member; fflate and nifti-reader-js only the first. Equal means one member.
    assertEquals(new Uint8Array(zlibGunzipSync(file)).length, raw.length, "a single gzip member");
    const trailer = new DataView(file.buffer, file.byteOffset + file.length - 8);
    assertEquals(trailer.getUint32(0, true), crc32(raw), "gzip CRC-32");
    assertEquals(trailer.getUint32(4, true), raw.length % 2 ** 32, "gzip ISIZE");
    await checkWithSystemGzip(path);
  }
  return parseNifti(raw);
}

function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function typed(dtype: VoxelType, buffer: ArrayBuffer): VoxelArray {
  const Type = allocateVoxels(dtype, 0).constructor as new (buffer: ArrayBuffer) => VoxelArray;
  return new Type(buffer);
}

for (const extension of [".nii", ".nii.gz"]) {
  for (const dtype of DTYPES) {
    Deno.test(`writeNifti() round-trips every ${dtype} voxel through ${extension}`, async () => {
      await withTempDir(async (dir) => {
        const path = `${dir}/image${extension}`;
        const image = volume(dtype);
        const result = await writeNifti(path, image, { geometry: GEOMETRY, description: `test ${dtype}` });
        const voxelBytes = image.data.byteLength;
        const { compression, ...rest } = result;
        assertEquals(rest, {
          path,
          bytes: (await Deno.stat(path)).size,
          voxelBytes,
          gzip: extension === ".nii.gz",
        });
        // The deflate that ran is named for a gzipped file only.
        assertEquals(typeof compression, extension === ".nii.gz" ? "string" : "undefined");
        if (extension === ".nii") assertEquals(result.bytes, 352 + voxelBytes);
        const { header, image: stored } = await readNifti(path);
        assertEquals(header.dims.slice(0, 4), [3, 9, 7, 5]);
        assertEquals(header.description, `test ${dtype}`);
        assertEquals(header.vox_offset, 352);
        assertEquals(header.affine.slice(0, 3).flat(), REFERENCE_SFORM.map(Math.fround));
        assertEquals(typed(dtype, stored), image.data);
        assertEquals(await listDir(dir), [`image${extension}`]);
      });
    });
  }
}

Deno.test("writeNifti() casts uint16 to float32 exactly, as the reference notebook writes", async () => {
  await withTempDir(async (dir) => {
    const image = volume("uint16");
    const result = await writeNifti(`${dir}/cast.nii.gz`, image, {
      geometry: GEOMETRY,
      outputType: "float32",
    });
    assertEquals(result.voxelBytes, image.data.length * 4);
    const { header, image: stored } = await readNifti(`${dir}/cast.nii.gz`);
    assertEquals([header.datatypeCode, header.numBitsPerVoxel], [16, 32]);
    assertEquals(new Float32Array(stored), Float32Array.from(image.data));
  });
});

Deno.test("writeNifti() writes the same bytes from uneven slabs as from the whole volume", async () => {
  // Over 1 MiB of voxels, so pieces are staged across slab boundaries.
  const shape: [number, number, number] = [37, 131, 129];
  const planes = [1, 5, 13, 2, 0, 16];
  const image = volume("uint16", shape, 7);
  await withTempDir(async (dir) => {
    for (const outputType of [undefined, "float32"] as const) {
      for (const extension of [".nii", ".nii.gz"]) {
        const options = { geometry: GEOMETRY, outputType };
        const whole = await writeNifti(`${dir}/whole${extension}`, image, options);
        const events: WriteNiftiProgress[] = [];
        const sliced = await writeNifti(`${dir}/sliced${extension}`, slabsOf(image, planes), {
          ...options,
          onProgress: (event) => events.push(event),
        });
        const what = `${outputType ?? "uint16"} ${extension}`;
        assertEquals(sliced.bytes, whole.bytes, what);
        assertEquals(
          await Deno.readFile(`${dir}/sliced${extension}`),
          await Deno.readFile(`${dir}/whole${extension}`),
          what,
        );
        const { image: stored } = await readNifti(`${dir}/sliced${extension}`);
        const expected = outputType ? Float32Array.from(image.data) : image.data;
        assertEquals(typed(outputType ?? "uint16", stored), expected, what);
        assert(events.length >= 2, `${what}: progress in several steps`);
        assert(events.every((e, i) => i === 0 || e.bytesWritten >= events[i - 1].bytesWritten), what);
        assertEquals(events.at(-1), { bytesWritten: whole.voxelBytes, totalBytes: whole.voxelBytes }, what);
        await Deno.remove(`${dir}/whole${extension}`);
        await Deno.remove(`${dir}/sliced${extension}`);
      }
    }
  });
});

Deno.test("writeNifti() accepts every gzip level from 0 to 9", async () => {
  await withTempDir(async (dir) => {
    const image = volume("int16");
    for (let gzipLevel = 0; gzipLevel <= 9; gzipLevel++) {
      await writeNifti(`${dir}/level${gzipLevel}.nii.gz`, image, { geometry: GEOMETRY, gzipLevel });
      assertEquals(typed("int16", (await readNifti(`${dir}/level${gzipLevel}.nii.gz`)).image), image.data);
    }
  });
  if (gzipAvailable === false) console.warn("gzip is not installed: gzip -t checks were skipped");
});

Deno.test("writeNifti() refuses an existing file without force and leaves it untouched", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out.nii.gz`;
    await Deno.writeTextFile(path, "precious");
    const error = await assertRejects(
      () => writeNifti(path, volume("uint8"), { geometry: GEOMETRY }),
      OutputExistsError,
    );
    assertEquals(error.path, path);
    assertEquals(await Deno.readTextFile(path), "precious");
    assertEquals(await listDir(dir), ["out.nii.gz"]);
  });
});

Deno.test("writeNifti() with force replaces an existing file, and keeps it if the new write fails", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out.nii`;
    await Deno.writeTextFile(path, "old");
    const failing = { shape: SHAPE, dtype: "uint8" as const, slabs: slabsOf(volume("uint8"), [2, 2]).slabs };
    await assertRejects(() => writeNifti(path, failing, { geometry: GEOMETRY, force: true }), RangeError);
    assertEquals(await Deno.readTextFile(path), "old");
    const image = volume("uint8");
    await writeNifti(path, image, { geometry: GEOMETRY, force: true });
    assertEquals(typed("uint8", (await readNifti(path)).image), image.data);
    assertEquals(await listDir(dir), ["out.nii"]);
  });
});

Deno.test("writeNifti() without force does not overwrite a file that appears while it writes", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/race.nii`;
    const image = volume("uint8");
    async function* slabs(): AsyncGenerator<VoxelArray> {
      await Deno.writeTextFile(path, "the other writer's");
      yield image.data;
    }
    await assertRejects(
      () => writeNifti(path, { shape: SHAPE, dtype: "uint8", slabs: slabs() }, { geometry: GEOMETRY }),
      OutputExistsError,
    );
    assertEquals(await Deno.readTextFile(path), "the other writer's");
    assertEquals(await listDir(dir), ["race.nii"]);
  });
});

async function* yieldAll(arrays: VoxelArray[]): AsyncGenerator<VoxelArray> {
  yield* arrays;
}

Deno.test("writeNifti() rejects slabs that do not fill the shape exactly, leaving no file", async () => {
  await withTempDir(async (dir) => {
    const image = volume("int16");
    const plane = 7 * 9;
    const cases: [string, () => VolumeSlabs, typeof RangeError | typeof TypeError, string][] = [
      ["too few planes", () => slabsOf(image, [2, 2]), RangeError, "ended after 4 of 5 z planes"],
      [
        "too many planes",
        () => ({
          shape: SHAPE,
          dtype: "int16",
          slabs: yieldAll([image.data.subarray(0, 3 * plane), image.data]),
        }),
        RangeError,
        "ends at z plane 8, past the 5 planes",
      ],
      [
        "a partial plane",
        () => ({ shape: SHAPE, dtype: "int16", slabs: yieldAll([image.data.subarray(0, plane + 1)]) }),
        RangeError,
        "not a whole number of z planes of 63",
      ],
      ["the wrong array type", () => ({ ...slabsOf(image, [5]), dtype: "uint16" }), TypeError, "Uint16Array"],
    ];
    for (const [what, slabs, type, message] of cases) {
      for (const extension of [".nii", ".nii.gz"]) {
        const error = await assertRejects(() =>
          writeNifti(`${dir}/bad${extension}`, slabs(), { geometry: GEOMETRY })
        );
        assertInstanceOf(error, type, what);
        assertStringIncludes(error.message, message, what);
        assertEquals(await listDir(dir), [], what);
      }
    }
    await assertRejects(
      () =>
        writeNifti(`${dir}/short.nii`, { ...image, data: image.data.subarray(1) }, { geometry: GEOMETRY }),
      RangeError,
      "from 314 voxels: expected 315",
    );
    assertEquals(await listDir(dir), []);
  });
});

Deno.test("writeNifti() passes on an error thrown by the slabs, leaving no file", async () => {
  await withTempDir(async (dir) => {
    const image = volume("float32");
    async function* slabs(): AsyncGenerator<VoxelArray> {
      yield image.data.subarray(0, 2 * 63);
      throw new Error("S3 went away");
    }
    for (const extension of [".nii", ".nii.gz"]) {
      await assertRejects(
        () =>
          writeNifti(`${dir}/x${extension}`, { shape: SHAPE, dtype: "float32", slabs: slabs() }, {
            geometry: GEOMETRY,
          }),
        Error,
        "S3 went away",
      );
      assertEquals(await listDir(dir), []);
    }
  });
});

Deno.test("writeNifti() stops when its signal aborts, leaving no file", async () => {
  await withTempDir(async (dir) => {
    const image = volume("uint16");
    for (const extension of [".nii", ".nii.gz"]) {
      const controller = new AbortController();
      const slabs = async function* (): AsyncGenerator<VoxelArray> {
        yield image.data.subarray(0, 63);
        controller.abort();
        yield image.data.subarray(63);
      };
      const error = await assertRejects(() =>
        writeNifti(`${dir}/x${extension}`, { shape: SHAPE, dtype: "uint16", slabs: slabs() }, {
          geometry: GEOMETRY,
          signal: controller.signal,
        })
      );
      assertEquals((error as Error).name, "AbortError");
      assertEquals(await listDir(dir), []);
    }
    const aborted = AbortSignal.abort(new Error("cancelled before start"));
    await assertRejects(
      () => writeNifti(`${dir}/x.nii`, image, { geometry: GEOMETRY, signal: aborted }),
      Error,
      "cancelled before start",
    );
    assertEquals(await listDir(dir), []);
  });
});

Deno.test("writeNifti() names a missing output directory instead of creating it", async () => {
  await withTempDir(async (dir) => {
    const error = await assertRejects(
      () => writeNifti(`${dir}/missing/sub/out.nii.gz`, volume("uint8"), { geometry: GEOMETRY }),
      Error,
      `${dir}/missing/sub`,
    );
    assertStringIncludes(error.message, "does not exist");
    assertInstanceOf(error.cause, Deno.errors.NotFound);
    await Deno.writeTextFile(`${dir}/file`, "");
    await assertRejects(
      () => writeNifti(`${dir}/file/out.nii`, volume("uint8"), { geometry: GEOMETRY }),
      Error,
      "is not a directory",
    );
    assertEquals(await listDir(dir), ["file"]);
  });
});

Deno.test("writeNifti() rejects bad paths and options before creating anything", async () => {
  await withTempDir(async (dir) => {
    const image = volume("uint8");
    for (const name of ["out.nii.zst", "out.img", "out.gz", "out"]) {
      const error = await assertRejects(
        () => writeNifti(`${dir}/${name}`, image, { geometry: GEOMETRY }),
        TypeError,
      );
      assertStringIncludes(error.message, `${dir}/${name}`);
      assertStringIncludes(error.message, ".nii, .nii.gz");
    }
    await assertRejects(
      () => writeNifti(`${dir}/a.nii`, image, { geometry: GEOMETRY, gzip: true }),
      TypeError,
      ".nii.gz",
    );
    await assertRejects(
      () => writeNifti(`${dir}/a.nii.gz`, image, { geometry: GEOMETRY, gzip: false }),
      TypeError,
    );
    for (const gzipLevel of [-1, 10, 1.5, NaN]) {
      await assertRejects(
        () => writeNifti(`${dir}/a.nii.gz`, image, { geometry: GEOMETRY, gzipLevel }),
        RangeError,
        "0 to 9",
      );
    }
    const huge: VolumeSlabs = {
      shape: [1, 1, 40000],
      dtype: "uint8",
      slabs: {
        [Symbol.asyncIterator]: (): AsyncIterator<VoxelArray> => {
          throw new Error("slabs must not be read");
        },
      },
    };
    const error = await assertRejects(
      () => writeNifti(`${dir}/huge.nii`, huge, { geometry: GEOMETRY }),
      RangeError,
    );
    assertMatch(error.message, /x size 40000.*32767/);
    await assertRejects(
      () => writeNifti(`${dir}/a.nii`, image, { geometry: { ...GEOMETRY, spacing: [0, 1, 1] } }),
      RangeError,
      "spacing 0 along x",
    );
    assertEquals(await listDir(dir), []);
  });
});

Deno.test("withAtomicFile() shows the file under its name only once complete", async () => {
  await withTempDir(async (dir) => {
    const seen = await withAtomicFile(`${dir}/data.bin`, async (file) => {
      await file.write(new Uint8Array([1, 2, 3]));
      return await listDir(dir);
    });
    assertEquals(seen.length, 1);
    assertMatch(seen[0], new RegExp(`^\\.data\\.bin\\.${Deno.pid}-[0-9a-f]{12}\\.partial$`));
    assertEquals(await listDir(dir), ["data.bin"]);
    assertEquals(await Deno.readFile(`${dir}/data.bin`), new Uint8Array([1, 2, 3]));
  });
});

Deno.test("withAtomicFile() removes its temporary file when the writer throws", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/keep.txt`, "before");
    await assertRejects(
      () =>
        withAtomicFile(`${dir}/keep.txt`, async (file) => {
          await file.write(new TextEncoder().encode("half"));
          throw new Error("writer failed");
        }, { force: true }),
      Error,
      "writer failed",
    );
    assertEquals(await listDir(dir), ["keep.txt"]);
    assertEquals(await Deno.readTextFile(`${dir}/keep.txt`), "before");
  });
});

Deno.test("withAtomicFile() names the directory when it may not write there", async () => {
  await withTempDir(async (dir) => {
    // Tests run as root here, where chmod cannot deny a write: a Deno without write permission can.
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { withAtomicFile } from ${
        JSON.stringify(new URL("../../lib/write/atomic_file.ts", import.meta.url).href)
      };
      await withAtomicFile(${JSON.stringify(`${dir}/out.nii`)}, () => Promise.resolve(0)).catch((e) => {
        console.log(JSON.stringify({ message: e.message, cause: e.cause?.name }));
      });`,
    );
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-prompt",
        `--allow-read=${dir},${new URL("../../lib", import.meta.url).pathname}`,
        script,
      ],
      stderr: "inherit",
    }).output();
    const { message, cause } = JSON.parse(new TextDecoder().decode(stdout));
    assertEquals(message, `Cannot write to directory ${dir}: permission denied`);
    assertEquals(cause, "NotCapable");
    assertEquals(await listDir(dir), ["probe.ts"]);
  });
});

Deno.test("withAtomicFile() refuses a directory in the way, even with force", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/out.nii`);
    const error = await assertRejects(
      () => withAtomicFile(`${dir}/out.nii`, () => Promise.resolve(0), { force: true }),
      Error,
      "a directory is in the way",
    );
    assertNotEquals(error.name, "OutputExistsError");
    assertEquals(await listDir(dir), ["out.nii"]);
  });
});

Deno.test("withAtomicFile() removes what killed writers of any file in the folder left, not its own", async () => {
  await withTempDir(async (dir) => {
    // Nobody holds a lock on these (as after their writers were killed); the third has this process's pid.
    const stale = `.data.bin.4194999-0123456789ab.partial`;
    const other = `.other.bin.4194999-0123456789ab.partial`;
    const own = `.data.bin.${Deno.pid}-0123456789ab.partial`;
    for (const name of [stale, own, other]) await Deno.writeFile(`${dir}/${name}`, new Uint8Array([1]));
    await withAtomicFile(`${dir}/data.bin`, async (file) => void await file.write(new Uint8Array([1])));
    assertEquals(await listDir(dir), [own, "data.bin"].sort());
  });
});

Deno.test("gzip level 1 on workers compresses about as well as fflate's level 1", async () => {
  const { gzipSync } = await import("fflate");
  // Noisy uint16 data, as light-sheet voxels are.
  let state = 7;
  const data = new Uint16Array(1 << 20).map((_, i) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return 500 + (i % 300) + (state >>> 27);
  });
  await withTempDir(async (dir) => {
    const volume = { data, shape: [16, 256, 256] as [number, number, number], dtype: "uint16" as const };
    const geometry = {
      spacing: [1, 1, 1],
      origin: [0, 0, 0],
      direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    } as const;
    const ours = await writeNifti(`${dir}/a.nii.gz`, volume, {
      geometry: structuredClone(geometry) as never,
      gzipLevel: 1,
    });
    const reference = gzipSync(new Uint8Array(data.buffer), { level: 1 }).length;
    // Deno's own level 1 would be ~50% larger here; the mapping keeps the level honest.
    assert(ours.bytes < reference * 1.15, `${ours.bytes} bytes against fflate's ${reference}`);
  });
});
