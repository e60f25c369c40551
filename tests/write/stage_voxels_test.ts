/**
 * The fixed pieces writers receive: the same bytes cut at the same places whatever the slabs, whether a
 * piece is copied (another voxel type, or across slabs) or handed over in place (a whole piece inside a
 * slab of the output type).
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { stageVoxels } from "../../lib/write/_stage_voxels.ts";

const PIECE = 1 << 20;

/** Voxel i of the volume: a pattern whose bytes differ from piece to piece. */
const value = (i: number): number => (i * 7919) % 65_521;

async function pieces(
  slabLengths: number[],
  make: (length: number) => Uint16Array | Float32Array,
  outputType: "uint16" | "float32",
): Promise<{ lengths: number[]; bytes: Uint8Array; inPlace: number }> {
  let at = 0;
  const slabs = slabLengths.map((length) => {
    const slab = make(length);
    for (let i = 0; i < length; i++) slab[i] = value(at + i);
    at += length;
    return slab;
  });
  const lengths: number[] = [];
  const parts: Uint8Array[] = [];
  let inPlace = 0;
  await stageVoxels(slabs, {
    outputType,
    write: (piece) => {
      lengths.push(piece.byteLength);
      if (slabs.some((slab) => slab.buffer === piece.buffer)) inPlace++;
      parts.push(piece.slice());
      return Promise.resolve();
    },
  });
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, part) => (bytes.set(part, offset), offset + part.length), 0);
  return { lengths, bytes, inPlace };
}

Deno.test("stageVoxels() cuts the same 1 MiB pieces from any slabs, in place where a piece lies in one", async () => {
  // 3 MiB of uint16 in slabs of 0.75, 1.5 and 0.75 MiB (voxels: 393 216, 786 432, 393 216).
  const slabs = [393_216, 786_432, 393_216];
  const total = slabs.reduce((a, b) => a + b, 0);
  const expected = new Uint8Array(new Uint16Array(total).map((_, i) => value(i)).buffer);
  const shared = await pieces(slabs, (n) => new Uint16Array(new SharedArrayBuffer(2 * n)), "uint16");
  const plain = await pieces([total], (n) => new Uint16Array(n), "uint16");
  for (const run of [shared, plain]) {
    assertEquals(run.lengths, [PIECE, PIECE, PIECE]);
    assertEquals(run.bytes, expected);
  }
  // By hand, in voxels (a piece is 524 288): slab 1 (393 216) is staged; 131 072 of slab 2 complete piece 1
  // (copied); slab 2's next 524 288 are piece 2, in place; its last 131 072 and slab 3 make piece 3 (copied).
  // One slab of the whole: all three in place.
  assertEquals(shared.inPlace, 1);
  assertEquals(plain.inPlace, 3);
});

Deno.test("stageVoxels() converts to another output type by copying, never in place", async () => {
  const run = await pieces([300_000, 300_000], (n) => new Uint16Array(n), "float32");
  assertEquals(run.inPlace, 0);
  // 2 400 000 bytes of float32: two whole pieces and 302 848 bytes.
  assertEquals(run.lengths, [PIECE, PIECE, 600_000 * 4 - 2 * PIECE]);
  assertEquals(
    new Float32Array(run.bytes.buffer),
    new Float32Array(600_000).map((_, i) => value(i)),
  );
});
