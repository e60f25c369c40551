/**
 * writeOmeZarr() read back by independent readers: NGFF 0.4 stores by Debian's zarr-python 2.13 (every
 * pyramid level against a 2×2×2 mean computed in numpy, the metadata, the display window against numpy's
 * percentiles); NGFF 0.5 stores (sharded or not) by `testing/zarr_v3_reader.ts`, written from the Zarr v3
 * spec, against a plain triple-loop mean written here. Expected scales and translations are worked out by
 * hand from the geometry.
 *
 * The zarr-python tests need `python3` with zarr, numcodecs and numpy (`.ci/run` installs them): without
 * them they are skipped locally, saying so in their name, and fail in CI.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import * as zarr from "zarrita";
import { OutputExistsError } from "../../lib/core/errors.ts";
import type { ImageGeometry, VoxelArray, VoxelType } from "../../lib/core/volume.ts";
import { writeOmeZarr, type WriteOmeZarrOptions } from "../../lib/write/ome_zarr.ts";
import { crc32cBitwise, readZarrV3Array } from "../../testing/zarr_v3_reader.ts";

const inCi = Deno.env.get("CI") === "true";

/** The first Python with zarr, numcodecs and numpy, or undefined. */
async function findPython(): Promise<string | undefined> {
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      const { success } = await new Deno.Command(python, {
        args: ["-c", "import zarr, numcodecs, numpy"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (success) return python;
    } catch {
      // Not installed: try the next.
    }
  }
  return undefined;
}
const python = await findPython();

// Reads the store with zarr-python, recomputes each level from the one above with numpy, and prints JSON.
const PY_CHECK = `
import json, sys, zarr, numpy as np
store, raw, dtype, shape = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
g = zarr.open_group(store, mode="r")
attrs = g.attrs.asdict()
ms = attrs["multiscales"][0]
given = np.fromfile(raw, dtype=dtype).reshape(shape)
report = {"attrs": attrs, "levels": []}
prev = None
for i, ds in enumerate(ms["datasets"]):
    a = g[ds["path"]]
    data = a[:]
    entry = {"shape": list(data.shape), "dtype": str(data.dtype), "chunks": list(a.chunks),
             "compressor": a.compressor.get_config() if a.compressor is not None else None}
    if i == 0:
        expected = given
    else:
        p = prev.astype(np.float64)
        pad = [(0, n % 2) if n > 1 else (0, 0) for n in p.shape]
        f = [2 if n > 1 else 1 for n in p.shape]
        out = [ (n + 1) // 2 if n > 1 else 1 for n in p.shape]
        blocks = lambda v: np.pad(v, pad).reshape(out[0], f[0], out[1], f[1], out[2], f[2]).sum(axis=(1, 3, 5))
        mean = blocks(p) / blocks(np.ones_like(p))
        expected = np.floor(mean + 0.5) if np.issubdtype(data.dtype, np.integer) else mean
    if np.issubdtype(data.dtype, np.integer):
        entry["equal"] = bool(np.array_equal(data.astype(np.float64), expected))
    else:
        entry["equal"] = bool(np.allclose(data, expected.astype(data.dtype), rtol=1e-6, atol=0))
    prev = data
    report["levels"].append(entry)
flat = given.ravel()
lo, hi = attrs["spimfetch"]["windowPercentiles"]
report["percentiles"] = [float(np.percentile(flat, lo, method="inverted_cdf")),
                         float(np.percentile(flat, hi, method="inverted_cdf")),
                         float(flat.min()), float(flat.max())]
print(json.dumps(report))
`;

interface PyLevel {
  shape: number[];
  dtype: string;
  chunks: number[];
  compressor: Record<string, unknown> | null;
  equal: boolean;
}
interface PyReport {
  attrs: {
    multiscales: {
      version: string;
      axes: { name: string; type: string; unit: string; orientation: { type: string; value: string } }[];
      datasets: {
        path: string;
        coordinateTransformations: { type: string; scale?: number[]; translation?: number[] }[];
      }[];
    }[];
    omero: { channels: { window: { min: number; max: number; start: number; end: number } }[] };
    spimfetch: { geometry: ImageGeometry };
  };
  levels: PyLevel[];
  percentiles: number[];
}

const NUMPY_TYPES: Partial<Record<VoxelType, string>> = {
  uint8: "uint8",
  uint16: "<u2",
  int16: "<i2",
  float32: "<f4",
};

async function readWithZarrPython(
  store: string,
  data: VoxelArray,
  dtype: VoxelType,
  shape: number[],
): Promise<PyReport> {
  const raw = `${store}.raw`;
  await Deno.writeFile(raw, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const out = await new Deno.Command(python!, {
    args: ["-c", PY_CHECK, store, raw, NUMPY_TYPES[dtype]!, JSON.stringify(shape)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(raw);
  if (!out.success) throw new Error(`zarr-python failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Deterministic voxels with structure (a ramp) and texture (a hash), so averaging and chunk edges show. */
function voxels(dtype: VoxelType, shape: number[]): VoxelArray {
  const n = shape[0] * shape[1] * shape[2];
  const make = {
    uint8: () => new Uint8Array(n),
    uint16: () => new Uint16Array(n),
    int16: () => new Int16Array(n),
    float32: () => new Float32Array(n),
  }[dtype as "uint8" | "uint16" | "int16" | "float32"];
  const out = make();
  for (let i = 0; i < n; i++) {
    const hash = Math.imul(i ^ 0x5bd1e995, 0x27d4eb2d) >>> 0;
    if (dtype === "uint8") out[i] = (i % 200) + (hash % 50);
    else if (dtype === "uint16") out[i] = 100 + (i % 3000) + (hash % 700);
    else if (dtype === "int16") out[i] = -500 + (i % 1000) + (hash % 100);
    else out[i] = Math.sin(i / 37) * 100 + (hash % 1000) / 997;
  }
  return out;
}

/** The reference acquisition's orientation: x to the right, y anterior, z inferior (ITK direction −I). */
const RAI: ImageGeometry = {
  spacing: [0.0144, 0.0144, 0.016],
  origin: [13.3056, 18.4176, 7.408],
  direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
};

/** Plain 2×2×2 mean of a C-order volume, the mean of the voxels present at odd edges; integers round half up. */
function referenceMean(
  data: VoxelArray,
  shape: number[],
  integer: boolean,
): { data: number[]; shape: number[] } {
  const [nz, ny, nx] = shape;
  const out = shape.map((n) => Math.ceil(n / 2));
  const result: number[] = [];
  for (let z = 0; z < out[0]; z++) {
    for (let y = 0; y < out[1]; y++) {
      for (let x = 0; x < out[2]; x++) {
        let sum = 0, count = 0;
        for (let dz = 0; dz < 2; dz++) {
          for (let dy = 0; dy < 2; dy++) {
            for (let dx = 0; dx < 2; dx++) {
              const zz = 2 * z + dz, yy = 2 * y + dy, xx = 2 * x + dx;
              if (zz >= nz || yy >= ny || xx >= nx) continue;
              sum += data[(zz * ny + yy) * nx + xx];
              count++;
            }
          }
        }
        result.push(integer ? Math.floor(sum / count + 0.5) : sum / count);
      }
    }
  }
  return { data: result, shape: out };
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

async function* inSlabs(data: VoxelArray, plane: number, sizes: number[]): AsyncGenerator<VoxelArray> {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const planes = sizes[i % sizes.length];
    yield data.slice(at, at + planes * plane);
    at += planes * plane;
  }
}

const pythonTest = (name: string, fn: () => Promise<void>): void => {
  if (python) return void Deno.test(name, fn);
  if (inCi) {
    return void Deno.test(`${name} (FAILS in CI: python3 with zarr, numcodecs, numpy not installed)`, () => {
      throw new Error(
        "python3 with zarr, numcodecs and numpy is not installed: .ci/run should have installed it",
      );
    });
  }
  console.error(`SKIPPED: ${name}: python3 with zarr, numcodecs and numpy not installed`);
  Deno.test({ name: `${name} (SKIPPED: python3 zarr not installed)`, ignore: true, fn });
};

pythonTest(
  "writeOmeZarr() 0.4: zarr-python reads every level as numpy's 2×2×2 mean, odd shape, Blosc zstd",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const shape: [number, number, number] = [37, 45, 29];
      const data = voxels("uint16", shape);
      const store = `${dir}/brain.ome.zarr`;
      const result = await writeOmeZarr(store, { data, shape, dtype: "uint16" }, {
        geometry: RAI,
        chunkShape: [8, 16, 16],
      });
      const report = await readWithZarrPython(store, data, "uint16", shape);
      // Levels until one fits in a chunk: ceil-halving 37,45,29 → 19,23,15 → 10,12,8 → 5,6,4.
      assertEquals(report.levels.map((l) => l.shape), [[37, 45, 29], [19, 23, 15], [10, 12, 8], [5, 6, 4]]);
      assertEquals(report.levels.map((l) => l.equal), [true, true, true, true]);
      assertEquals(report.levels.map((l) => l.chunks), [[8, 16, 16], [8, 16, 15], [8, 12, 8], [5, 6, 4]]);
      assertEquals(report.levels[0].dtype, "uint16");
      assertEquals(report.levels[0].compressor, {
        id: "blosc",
        cname: "zstd",
        clevel: 1,
        shuffle: 1,
        blocksize: 262144,
      });

      const ms = report.attrs.multiscales[0];
      assertEquals(ms.version, "0.4");
      assertEquals(ms.axes.map((a) => [a.name, a.type, a.unit]), [
        ["z", "space", "micrometer"],
        ["y", "space", "micrometer"],
        ["x", "space", "micrometer"],
      ]);
      // RAI: x runs left to right, y posterior to anterior, z superior to inferior (as AIND's acquisition says).
      assertEquals(ms.axes.map((a) => a.orientation), [
        { type: "anatomical", value: "superior-to-inferior" },
        { type: "anatomical", value: "posterior-to-anterior" },
        { type: "anatomical", value: "left-to-right" },
      ]);
      // Level 0: spacing in µm (z, y, x); translation = direction column · origin: −origin for direction −I.
      // Level k: scale × 2^k, translation + spacing × (2^k − 1) / 2.
      const s0 = [16, 14.4, 14.4], t0 = [-7408, -18417.6, -13305.6];
      ms.datasets.forEach((ds, k) => {
        const [scale, translation] = ds.coordinateTransformations;
        assertEquals([scale.type, translation.type], ["scale", "translation"]);
        scale.scale!.forEach((v, a) => assert(Math.abs(v - s0[a] * 2 ** k) < 1e-9, `level ${k} scale ${v}`));
        translation.translation!.forEach((v, a) => {
          const expected = t0[a] + s0[a] * (2 ** k - 1) / 2;
          assert(
            Math.abs(v - expected) < 1e-6,
            `level ${k} axis ${a}: translation ${v}, expected ${expected}`,
          );
        });
      });
      const [start, end, min, max] = report.percentiles;
      assertEquals(report.attrs.omero.channels[0].window, { min, max, start, end });
      assertEquals(result.window, { min, max, start, end });
      assertEquals(report.attrs.spimfetch.geometry, RAI);
      assertEquals(result.anatomicalAxes, ["right", "anterior", "inferior"]);
      // Nothing but the store is left beside it.
      assertEquals(await listDir(dir), ["brain.ome.zarr"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

pythonTest("writeOmeZarr() 0.4: gzip, uint8, a single-chunk volume is one level", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shape: [number, number, number] = [5, 7, 9];
    const data = voxels("uint8", shape);
    const store = `${dir}/small.ome.zarr`;
    const result = await writeOmeZarr(store, { data, shape, dtype: "uint8" }, {
      geometry: RAI,
      codec: "gzip",
    });
    assertEquals(result.levels.length, 1);
    const report = await readWithZarrPython(store, data, "uint8", shape);
    assertEquals(report.levels.length, 1);
    assertEquals(report.levels[0], {
      shape: [5, 7, 9],
      dtype: "uint8",
      chunks: [5, 7, 9],
      compressor: { id: "gzip", level: 1 },
      equal: true,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

pythonTest("writeOmeZarr() 0.4: float32 levels, and uint16 slabs cast to float32", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shape: [number, number, number] = [9, 20, 11];
    const data = voxels("float32", shape);
    await writeOmeZarr(`${dir}/f.ome.zarr`, { data, shape, dtype: "float32" }, {
      geometry: RAI,
      chunkShape: [4, 8, 8],
    });
    const report = await readWithZarrPython(`${dir}/f.ome.zarr`, data, "float32", shape);
    assertEquals(report.levels.map((l) => [l.shape, l.dtype, l.equal]), [
      [[9, 20, 11], "float32", true],
      [[5, 10, 6], "float32", true],
      [[3, 5, 3], "float32", true],
    ]);
    const [start, end, min, max] = report.percentiles;
    const window = report.attrs.omero.channels[0].window;
    assertEquals([window.min, window.max], [min, max]);
    // Floats take their percentiles from a regular sample; this volume is small enough to be sampled whole.
    assertEquals([window.start, window.end], [start, end]);

    const ints = voxels("uint16", shape) as Uint16Array;
    await writeOmeZarr(`${dir}/cast.ome.zarr`, { data: ints, shape, dtype: "uint16" }, {
      geometry: RAI,
      chunkShape: [4, 8, 8],
      outputType: "float32",
    });
    const cast = await readWithZarrPython(`${dir}/cast.ome.zarr`, Float32Array.from(ints), "float32", shape);
    assertEquals(cast.levels.map((l) => [l.dtype, l.equal]), [["float32", true], ["float32", true], [
      "float32",
      true,
    ]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeOmeZarr() 0.5: the spec reader reads every level as a plain 2×2×2 mean", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shape: [number, number, number] = [13, 30, 17];
    const data = voxels("int16", shape);
    const store = `${dir}/v3.ome.zarr`;
    const result = await writeOmeZarr(store, { data, shape, dtype: "int16" }, {
      geometry: RAI,
      version: "0.5",
      chunkShape: [4, 8, 8],
    });
    const root = JSON.parse(await Deno.readTextFile(`${store}/zarr.json`));
    assertEquals([root.zarr_format, root.node_type, root.attributes.ome.version], [3, "group", "0.5"]);
    const ms = root.attributes.ome.multiscales[0];
    assertEquals(ms.datasets.map((d: { path: string }) => d.path), ["0", "1", "2"]);
    assertEquals(ms.axes.map((a: { orientation: { value: string } }) => a.orientation.value), [
      "superior-to-inferior",
      "posterior-to-anterior",
      "left-to-right",
    ]);
    let expected = { data: Array.from(data), shape: [...shape] };
    for (const [k, level] of result.levels.entries()) {
      const read = await readZarrV3Array(store, level.path);
      assertEquals(read.metadata.dimension_names, ["z", "y", "x"]);
      assertEquals(read.metadata.data_type, "int16");
      assertEquals(read.shape, expected.shape, `level ${k} shape`);
      assertEquals(Array.from(read.data), expected.data, `level ${k} voxels`);
      assertEquals(read.missingChunks, 0);
      expected = referenceMean(read.data, read.shape, true);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (
  const [chunkShape, where] of [[[3, 5, 7], "on the main thread (odd chunk edges)"], [
    [4, 6, 8],
    "on the workers (even chunk edges)",
  ]] as const
) {
  Deno.test(`writeOmeZarr() averages each level ${where}: every level is the plain 2×2×2 mean`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const shape: [number, number, number] = [23, 19, 29];
      const data = voxels("uint16", shape);
      const store = `${dir}/odd.ome.zarr`;
      // Slabs of 5 planes: rows of every level complete across slabs, and out of order on the workers.
      const slabs = async function* (): AsyncGenerator<Uint16Array> {
        for (let z = 0; z < shape[0]; z += 5) {
          yield data.slice(z * 19 * 29, Math.min(z + 5, shape[0]) * 19 * 29) as Uint16Array;
        }
      };
      const result = await writeOmeZarr(store, { slabs: slabs(), shape, dtype: "uint16" }, {
        geometry: RAI,
        version: "0.5",
        chunkShape: [...chunkShape],
      });
      assertEquals(result.levels.length, 4);
      let expected = { data: Array.from(data), shape: [...shape] };
      for (const [k, level] of result.levels.entries()) {
        const read = await readZarrV3Array(store, level.path);
        assertEquals(read.shape, expected.shape, `level ${k} shape`);
        assertEquals(Array.from(read.data), expected.data, `level ${k} voxels`);
        assertEquals(read.missingChunks, 0);
        expected = referenceMean(read.data, read.shape, true);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("writeOmeZarr() 0.5 sharded: shards with a CRC-32C index, absent inner chunks past the edge", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shape: [number, number, number] = [21, 40, 35];
    const data = voxels("uint16", shape);
    const store = `${dir}/sharded.ome.zarr`;
    const result = await writeOmeZarr(store, { data, shape, dtype: "uint16" }, {
      geometry: RAI,
      version: "0.5",
      chunkShape: [4, 8, 8],
      shardShape: [8, 16, 16],
    });
    const zarrJson = JSON.parse(await Deno.readTextFile(`${store}/0/zarr.json`));
    assertEquals(zarrJson.chunk_grid.configuration.chunk_shape, [8, 16, 16]);
    assertEquals(zarrJson.codecs[0].name, "sharding_indexed");
    assertEquals(zarrJson.codecs[0].configuration.chunk_shape, [4, 8, 8]);
    assertEquals(zarrJson.codecs[0].configuration.index_location, "end");

    // Shard (2, 2, 2) covers z 16-23, y 32-47, x 32-47 of a 21 × 40 × 35 array: of its 2 × 2 × 2 inner
    // chunks (C order) only 0 (z 16-19, y 32-39, x 32-39) and 4 (z 20-23) hold voxels; the other six are
    // marked absent. The index (8 entries of 16 bytes) and its CRC-32C end the file.
    const shard = await Deno.readFile(`${store}/0/c/2/2/2`);
    const index = shard.subarray(shard.length - 8 * 16 - 4);
    const stored = new DataView(index.buffer, index.byteOffset + 128, 4).getUint32(0, true);
    assertEquals(stored, crc32cBitwise(index.subarray(0, 128)));
    const view = new DataView(index.buffer, index.byteOffset, 128);
    const entry = (
      e: number,
    ): bigint[] => [view.getBigUint64(16 * e, true), view.getBigUint64(16 * e + 8, true)];
    const [first, firstBytes] = entry(0);
    const [second, secondBytes] = entry(4);
    assertEquals([first, second, firstBytes + secondBytes], [0n, firstBytes, BigInt(shard.length - 132)]);
    for (const e of [1, 2, 3, 5, 6, 7]) assertEquals(entry(e), [0xffffffffffffffffn, 0xffffffffffffffffn]);

    let expected = { data: Array.from(data), shape: [...shape] };
    for (const [k, level] of result.levels.entries()) {
      const read = await readZarrV3Array(store, level.path);
      assertEquals(read.shape, expected.shape, `level ${k} shape`);
      assertEquals(Array.from(read.data), expected.data, `level ${k} voxels`);
      expected = referenceMean(read.data, read.shape, true);
    }
    assertEquals(result.levels.map((l) => l.shape), [[21, 40, 35], [11, 20, 18], [6, 10, 9], [3, 5, 5]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeOmeZarr() maps a permuted, flipped direction onto NGFF axes and translations by hand", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // ITK i → posterior (+P), j → inferior (−S), k → right (−L): the Allen CCF's PIR.
    const geometry: ImageGeometry = {
      spacing: [0.025, 0.05, 0.1],
      origin: [1, 2, 3],
      direction: [[0, 0, -1], [1, 0, 0], [0, -1, 0]],
    };
    const shape: [number, number, number] = [2, 3, 4];
    const result = await writeOmeZarr(`${dir}/pir.ome.zarr`, {
      data: new Uint8Array(24),
      shape,
      dtype: "uint8",
    }, {
      geometry,
      version: "0.5",
    });
    assertEquals(result.anatomicalAxes, ["posterior", "inferior", "right"]);
    const ms =
      JSON.parse(await Deno.readTextFile(`${dir}/pir.ome.zarr/zarr.json`)).attributes.ome.multiscales[0];
    // NGFF (z, y, x) = ITK (k, j, i): right, inferior, posterior.
    assertEquals(ms.axes.map((a: { orientation: { value: string } }) => a.orientation.value), [
      "left-to-right",
      "superior-to-inferior",
      "anterior-to-posterior",
    ]);
    // Coordinate along k (toward the right) = −L = −origin[0]; along j (inferior) = −S = −origin[2];
    // along i (posterior) = +P = origin[1]. In µm.
    assertEquals(ms.datasets[0].coordinateTransformations, [
      { type: "scale", scale: [100, 50, 25] },
      { type: "translation", translation: [-1000, -3000, 2000] },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeOmeZarr() writes the same store whatever the slabs' thickness", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shape: [number, number, number] = [19, 12, 10];
    const data = voxels("uint16", shape);
    const options: WriteOmeZarrOptions = { geometry: RAI, chunkShape: [4, 8, 8] };
    await writeOmeZarr(`${dir}/whole.ome.zarr`, { data, shape, dtype: "uint16" }, options);
    await writeOmeZarr(
      `${dir}/slabs.ome.zarr`,
      { slabs: inSlabs(data, 120, [1, 3, 7, 2]), shape, dtype: "uint16" },
      options,
    );
    const files = async (root: string): Promise<Map<string, string>> => {
      const out = new Map<string, string>();
      const walk = async (rel: string): Promise<void> => {
        for await (const entry of Deno.readDir(`${root}/${rel}`)) {
          const path = rel ? `${rel}/${entry.name}` : entry.name;
          if (entry.isDirectory) await walk(path);
          else out.set(path, Array.from(await Deno.readFile(`${root}/${path}`)).join(","));
        }
      };
      await walk("");
      return out;
    };
    const whole = await files(`${dir}/whole.ome.zarr`);
    const slabs = await files(`${dir}/slabs.ome.zarr`);
    assertEquals([...slabs.keys()].sort(), [...whole.keys()].sort());
    for (const [path, bytes] of whole) {
      // The name differs in the metadata ("whole" vs "slabs"); chunks must be byte for byte the same.
      if (path.endsWith(".zattrs")) continue;
      assert(slabs.get(path) === bytes, `${path} differs`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeOmeZarr() aborted mid-stream leaves nothing, not even the staging folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shape: [number, number, number] = [16, 32, 32];
    const data = voxels("uint16", shape);
    const controller = new AbortController();
    await assertRejects(
      () =>
        writeOmeZarr(`${dir}/aborted.ome.zarr`, { slabs: inSlabs(data, 1024, [2]), shape, dtype: "uint16" }, {
          geometry: RAI,
          chunkShape: [4, 8, 8],
          signal: controller.signal,
          onProgress: (p) => {
            if (p.bytesWritten >= p.totalBytes / 2) controller.abort();
          },
        }),
      DOMException,
    );
    assertEquals(await listDir(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeOmeZarr() keeps the rows waiting for their planes on disk in tmpDir, one row of level 0, and removes them", async () => {
  const dir = await Deno.makeTempDir();
  const tmp = await Deno.makeTempDir();
  try {
    const shape: [number, number, number] = [16, 32, 32];
    const data = voxels("uint16", shape);
    // What tmpDir holds each time the writer has taken a slab in (the generator resumes when it asks for more).
    const seen: Map<string, number>[] = [];
    const watched = async function* (): AsyncGenerator<VoxelArray> {
      for await (const slab of inSlabs(data, 32 * 32, [2])) {
        yield slab;
        const sizes = new Map<string, number>();
        for (const name of await listDir(tmp)) sizes.set(name, (await Deno.stat(`${tmp}/${name}`)).size);
        seen.push(sizes);
      }
    };
    const result = await writeOmeZarr(`${dir}/brain.ome.zarr`, { slabs: watched(), shape, dtype: "uint16" }, {
      geometry: RAI,
      chunkShape: [4, 8, 8],
      tmpDir: tmp,
    });
    assertEquals(result.levels.map((l) => l.shape), [[16, 32, 32], [8, 16, 16], [4, 8, 8]]);
    // One temporary file per level, named after the store, in tmpDir and not beside the store.
    const names = [...seen[0].keys()];
    assertEquals(names.map((n) => /^\.brain\.ome\.zarr\.(\d)\.\d+-[0-9a-f]+\.scratch$/.exec(n)?.[1]), [
      "0",
      "1",
      "2",
    ]);
    // Level 0's row is 4 planes deep: 4 × 4 chunks of 4 × 8 × 8 uint16 (512 bytes each) = 8192 bytes. After 2
    // planes, the last chunk's region holds its first 2 planes (15 × 512 + 256 bytes); from then on the file
    // never holds more than that one row, though the image is four rows deep.
    const level0 = seen.map((sizes) => sizes.get(names[0]));
    assertEquals(level0[0], 15 * 512 + 256);
    assertEquals(level0.slice(1), new Array(seen.length - 1).fill(8192));
    assertEquals(await listDir(tmp), []);
    assertEquals(await listDir(dir), ["brain.ome.zarr"]);
    const store = {
      get: async (key: string) => await Deno.readFile(`${dir}/brain.ome.zarr${key}`).catch(() => undefined),
    };
    const level = await zarr.open.v2(zarr.root(store).resolve("0"), { kind: "array", attrs: false });
    assertEquals((await zarr.get(level)).data, data);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("writeOmeZarr() counts one voxel in an odd n for the window above 2^24 voxels, and says so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // 64 × 512 × 1040 = 34,078,720 voxels: floor(34,078,720 / 2^24) = 2, made odd: one voxel in 3 is counted.
    const shape: [number, number, number] = [64, 512, 1040];
    const n = shape[0] * shape[1] * shape[2];
    const data = new Uint16Array(n);
    for (let i = 0; i < n; i++) data[i] = 1000 + (Math.imul(i ^ 0x5bd1e995, 0x27d4eb2d) >>> 0) % 10000;
    // The exact window, by nearest rank (numpy's inverted_cdf) over a histogram of every voxel.
    const histogram = new Float64Array(65536);
    for (let i = 0; i < n; i++) histogram[data[i]]++;
    const rank = (p: number): number => {
      const wanted = Math.max(1, Math.ceil((p / 100) * n));
      let cumulative = 0;
      for (let v = 0; v < histogram.length; v++) if ((cumulative += histogram[v]) >= wanted) return v;
      return 65535;
    };
    const result = await writeOmeZarr(`${dir}/big.ome.zarr`, { data, shape, dtype: "uint16" }, {
      geometry: RAI,
    });
    const attrs = JSON.parse(await Deno.readTextFile(`${dir}/big.ome.zarr/.zattrs`));
    assertEquals(attrs.spimfetch.windowCountedEvery, 3);
    // Each of the 10,000 values holds about 3,400 voxels (1,100 sampled): the sampled percentiles land on the
    // exact value or next to it, and the extremes are found.
    const { start, end, min, max } = result.window;
    assertEquals([min, max], [rank(0), rank(100)]);
    assert(Math.abs(start - rank(0.1)) <= 1, `start ${start}, exact ${rank(0.1)}`);
    assert(Math.abs(end - rank(99.9)) <= 1, `end ${end}, exact ${rank(99.9)}`);
    assertEquals(attrs.omero.channels[0].window, result.window);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeOmeZarr() refuses an existing store; force replaces it only once the new one is complete", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = `${dir}/brain.ome.zarr`;
    await Deno.mkdir(store);
    await Deno.writeTextFile(`${store}/keep.txt`, "mine");
    const shape: [number, number, number] = [4, 4, 4];
    const image = { data: new Uint16Array(64).fill(3), shape, dtype: "uint16" as const };
    await assertRejects(() => writeOmeZarr(store, image, { geometry: RAI }), OutputExistsError);
    assertEquals(await listDir(store), ["keep.txt"]);

    // A forced write that fails (the slabs stop short) leaves the old store as it was.
    const short = { slabs: inSlabs(new Uint16Array(32), 16, [2]), shape, dtype: "uint16" as const };
    await assertRejects(
      () => writeOmeZarr(store, short, { geometry: RAI, force: true }),
      RangeError,
      "2 of 4",
    );
    assertEquals(await listDir(store), ["keep.txt"]);
    assertEquals(await listDir(dir), ["brain.ome.zarr"]);

    await writeOmeZarr(store, image, { geometry: RAI, force: true });
    assertEquals(await listDir(store), [".zattrs", ".zgroup", "0"]);
    assertEquals(await listDir(dir), ["brain.ome.zarr"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeOmeZarr() rejects bad input with what was expected, before writing anything", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const image = {
      data: new Uint16Array(8),
      shape: [2, 2, 2] as [number, number, number],
      dtype: "uint16" as const,
    };
    await assertRejects(() => writeOmeZarr(`${dir}/a.nii`, image, { geometry: RAI }), TypeError, ".ome.zarr");
    const oblique: ImageGeometry = {
      ...RAI,
      direction: [[Math.SQRT1_2, -Math.SQRT1_2, 0], [Math.SQRT1_2, Math.SQRT1_2, 0], [0, 0, 1]],
    };
    await assertRejects(
      () => writeOmeZarr(`${dir}/a.ome.zarr`, image, { geometry: oblique }),
      RangeError,
      "no direction matrix",
    );
    await assertRejects(
      () => writeOmeZarr(`${dir}/a.ome.zarr`, image, { geometry: RAI, shardShape: [2, 2, 2] }),
      RangeError,
      "Zarr v3",
    );
    await assertRejects(
      () =>
        writeOmeZarr(`${dir}/a.ome.zarr`, image, {
          geometry: RAI,
          version: "0.5",
          chunkShape: [2, 2, 2],
          shardShape: [3, 2, 2],
        }),
      RangeError,
      "multiple of chunkShape",
    );
    await assertRejects(
      () => writeOmeZarr(`${dir}/a.ome.zarr`, { ...image, data: new Uint16Array(7) }, { geometry: RAI }),
      RangeError,
      "expected 8",
    );
    await assertRejects(
      () => writeOmeZarr(`${dir}/a.ome.zarr`, image, { geometry: RAI, compressionLevel: 12 }),
      RangeError,
      "0 to 9",
    );
    assertEquals(await listDir(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
