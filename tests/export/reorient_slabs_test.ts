/**
 * reorientSlabs against a reference written here from the meaning of the letters (not from lib/orient): for
 * every target that moves z (through the temporary file's blocks) and some that do not, with odd sizes,
 * slabs of uneven thickness in a recycled buffer, and batch sizes that cut the temporary file into many blocks.
 *
 * @module
 */
import { assertEquals, assertRejects } from "@std/assert";
import { reorientSlabs } from "../../lib/export/reorient_slabs.ts";

// The input is LPS (identity direction): x toward L, y toward P, z toward S.
const LPS = {
  spacing: [1, 1, 1] as [number, number, number],
  origin: [0, 0, 0] as [number, number, number],
  direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as [
    [number, number, number],
    [number, number, number],
    [number, number, number],
  ],
};
const INPUT_LETTERS = ["L", "P", "S"];
const OPPOSITE: Record<string, string> = { L: "R", R: "L", P: "A", A: "P", S: "I", I: "S" };

/** The voxels in target order, by walking the output grid and finding each one's input index by hand. */
function reference(data: Uint16Array, size: number[], target: string): { shape: number[]; voxels: number[] } {
  const axes = [...target].map((letter) => {
    const same = INPUT_LETTERS.indexOf(letter);
    return same >= 0
      ? { axis: same, flip: false }
      : { axis: INPUT_LETTERS.indexOf(OPPOSITE[letter]), flip: true };
  });
  const outSize = axes.map(({ axis }) => size[axis]);
  const voxels: number[] = [];
  const index = [0, 0, 0];
  for (let k = 0; k < outSize[2]; k++) {
    for (let j = 0; j < outSize[1]; j++) {
      for (let i = 0; i < outSize[0]; i++) {
        [i, j, k].forEach((v, o) => (index[axes[o].axis] = axes[o].flip ? size[axes[o].axis] - 1 - v : v));
        voxels.push(data[(index[2] * size[1] + index[1]) * size[0] + index[0]]);
      }
    }
  }
  return { shape: [outSize[2], outSize[1], outSize[0]], voxels };
}

/**
 * Slabs of the given thicknesses, each written into one buffer that is overwritten when the next slab is
 * asked for, as the level reader recycles its buffers: a consumer must not hold a slab across a pull.
 */
async function* unevenSlabs(
  data: Uint16Array,
  plane: number,
  thickness: number[],
): AsyncGenerator<Uint16Array> {
  const buffer = new Uint16Array(Math.max(...thickness) * plane);
  let z = 0;
  for (let n = 0; z * plane < data.length; n++) {
    const t = thickness[n % thickness.length];
    const part = data.subarray(z * plane, Math.min(data.length, (z + t) * plane));
    buffer.fill(0xdead);
    buffer.set(part);
    yield buffer.subarray(0, part.length);
    z += t;
  }
}

const [NX, NY, NZ] = [7, 5, 11];
const DATA = Uint16Array.from({ length: NX * NY * NZ }, (_, i) => (i * 37 + 11) % 65521);

for (const target of ["PIR", "RAS", "SPL", "ILA", "ASR", "LPI", "PLS", "IRP", "SAL"]) {
  for (const batchVoxels of [1, 2 * NX * NY, 1e9]) {
    Deno.test(`reorientSlabs to ${target} with ${batchVoxels}-voxel batches matches the reference`, async () => {
      const dir = await Deno.makeTempDir();
      try {
        const out = reorientSlabs(
          { shape: [NZ, NY, NX], dtype: "uint16", slabs: unevenSlabs(DATA, NX * NY, [1, 3, 2]) },
          { geometry: LPS, orientation: target, tempPath: `${dir}/t`, maxSlabBytes: batchVoxels * 2 },
        );
        const slabs: Uint16Array[] = [];
        for await (const slab of out.slabs) slabs.push((slab as Uint16Array).slice());
        const expected = reference(DATA, [NX, NY, NZ], target);
        assertEquals(out.shape, expected.shape);
        assertEquals(slabs.flatMap((slab) => [...slab]), expected.voxels);
        // Every slab is whole output planes.
        for (const slab of slabs) assertEquals(slab.length % (expected.shape[1] * expected.shape[2]), 0);
        // Through the temporary file, cut in output order: every slab but the last is as thick as the first.
        if (out.tempBytes > 0) {
          for (const slab of slabs.slice(0, -1)) assertEquals(slab.length, slabs[0].length);
        }
        assertEquals([...Deno.readDirSync(dir)], [], "the temporary file is removed");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}

Deno.test("reorientSlabs refuses slabs that end early, and removes its temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = reorientSlabs(
      {
        shape: [NZ, NY, NX],
        dtype: "uint16",
        slabs: unevenSlabs(DATA.subarray(0, 4 * NX * NY), NX * NY, [2]),
      },
      { geometry: LPS, orientation: "PIR", tempPath: `${dir}/t`, maxSlabBytes: 64 },
    );
    await assertRejects(
      async () => {
        for await (const _ of out.slabs) { /* drain */ }
      },
      RangeError,
      "ended after 4 of 11 z planes",
    );
    assertEquals([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
