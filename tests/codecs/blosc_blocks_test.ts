import { assert, assertEquals } from "@std/assert";
import Blosc from "numcodecs/blosc";
import { decodeBlosc, readBloscHeader } from "../../lib/codecs/blosc.ts";
import { sliceBloscBlocks } from "../../lib/codecs/blosc_blocks.ts";
import { encodeBlosc } from "../../testing/blosc_encoder.ts";

/** Noisy uint16 planes, fixed by an LCG. */
function voxels(count: number, seed: number): Uint8Array {
  let state = seed >>> 0;
  const values = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = 400 + (state >>> 27) + (i % 1000);
  }
  return new Uint8Array(values.buffer);
}

const RANGES: [number, number][] = [[0, 1], [1, 2], [8190, 8194], [20000, 70001], [0, 0], [123456, 200000]];

Deno.test("sliceBloscBlocks() cuts blocks that c-blosc (WASM) decodes to the same bytes as the whole chunk", async () => {
  const data = voxels(100000, 1); // 200000 bytes: the last block is short in every layout below
  const wasm = (await Blosc.fromConfig({ id: "blosc", cname: "zstd", clevel: 3, shuffle: 1, blocksize: 8192 })
    .encode(data)) as Uint8Array;
  const chunks = [
    // numcodecs' WASM encoder: typesize 4, split streams.
    wasm,
    // As zarr-python writes AIND's: typesize 2, not split; two block sizes, read from the header.
    encodeBlosc(data, { typesize: 2, blocksize: 16384, shuffle: 1, split: false, cname: "zstd", clevel: 3 }),
    encodeBlosc(data, { typesize: 2, blocksize: 131072, shuffle: 1, split: false, cname: "zstd" }),
    encodeBlosc(data, { typesize: 2, blocksize: 16384, shuffle: 1, split: true, cname: "zlib" }),
  ];
  const codec = Blosc.fromConfig({ id: "blosc" });
  for (const chunk of chunks) {
    const blocksize = readBloscHeader(chunk)!.blocksize;
    for (const [start, end] of RANGES) {
      const part = sliceBloscBlocks(chunk, start, end);
      if (start === end) {
        assertEquals(part, undefined);
        continue;
      }
      assert(part && !part.raw);
      // The part starts on a block boundary, covers the range, and is smaller than the chunk unless it must not be.
      assertEquals(part.offset % blocksize, 0);
      assert(part.offset <= start && part.offset + part.bytes >= end);
      const expected = data.slice(part.offset, part.offset + part.bytes);
      assertEquals(new Uint8Array(await codec.decode(part.chunk)), expected, `c-blosc, [${start}, ${end})`);
      assertEquals(decodeBlosc(part.chunk), expected);
    }
  }
});

Deno.test("sliceBloscBlocks() returns the bytes of a chunk stored uncompressed, and refuses what does not add up", async () => {
  // At clevel 0 c-blosc stores the bytes raw behind the header (the memcpyed flag).
  const random = new Uint8Array(50000).map((_, i) => (Math.imul(i + 1, 2654435761) >>> 13) & 0xff);
  const chunk = (await Blosc.fromConfig({ id: "blosc", cname: "zstd", clevel: 0, shuffle: 0, blocksize: 0 })
    .encode(random)) as Uint8Array;
  assert(readBloscHeader(chunk)!.flags & 0x2, "the chunk is stored raw");
  const part = sliceBloscBlocks(chunk, 100, 300)!;
  assertEquals([part.raw, part.offset, part.chunk], [true, 100, random.slice(100, 300)]);
  const packed = encodeBlosc(voxels(5000, 2), {
    typesize: 2,
    blocksize: 4096,
    shuffle: 1,
    split: false,
    cname: "zstd",
  });
  assertEquals(sliceBloscBlocks(packed.subarray(0, packed.length - 1), 0, 10), undefined, "truncated");
  assertEquals(sliceBloscBlocks(packed, 0, 10001), undefined, "past the end");
  assertEquals(sliceBloscBlocks(packed.subarray(0, 10), 0, 1), undefined, "no header");
});
