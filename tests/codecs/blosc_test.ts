import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import Blosc from "numcodecs/blosc";
import { decodeBlosc, readBloscHeader } from "../../lib/codecs/blosc.ts";

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Test data of a given element size: smooth, noisy or incompressible. */
function sample(
  kind: "smooth" | "noisy" | "random",
  typesize: 1 | 2 | 4,
  count: number,
  seed: number,
): Uint8Array {
  const next = lcg(seed);
  const values = Array.from(
    { length: count },
    (_, i) =>
      kind === "smooth"
        ? Math.round(1000 + 500 * Math.sin(i / 50))
        : kind === "noisy"
        ? Math.round(600 + 100 * next())
        : Math.floor(next() * 2 ** (8 * typesize)),
  );
  const array = typesize === 1
    ? Uint8Array.from(values, (v) => v & 0xff)
    : typesize === 2
    ? Uint16Array.from(values)
    : Uint32Array.from(values);
  return new Uint8Array(array.buffer);
}

Deno.test("decodeBlosc() matches the WASM codec on many real-world-shaped chunks", async () => {
  let native = 0;
  let fallback = 0;
  let seed = 1;
  for (const cname of ["zstd", "zlib", "lz4", "blosclz"]) {
    for (const shuffle of [0, 1, 2] as const) {
      for (const typesize of [1, 2, 4] as const) {
        for (const kind of ["smooth", "noisy", "random"] as const) {
          for (const count of [1, 37, 4096, 65536 + 13]) {
            for (const blocksize of [0, 8192]) {
              const data = sample(kind, typesize, count, seed++);
              const codec = Blosc.fromConfig({ id: "blosc", cname, clevel: 5, shuffle, blocksize });
              const encoded = await codec.encode(data);
              const expected = await codec.decode(encoded);
              const decoded = decodeBlosc(encoded);
              if (decoded === undefined) {
                fallback++;
                // Only what the native path leaves to WASM may fall back.
                const header = readBloscHeader(encoded)!;
                const format = (header.flags & 0xe0) >> 5;
                assert(
                  format < 3 || (header.flags & 0x4) !== 0,
                  `${cname} shuffle=${shuffle} typesize=${typesize} ${kind} n=${count} fell back`,
                );
              } else {
                native++;
                assertEquals(
                  decoded,
                  expected,
                  `${cname} shuffle=${shuffle} typesize=${typesize} ${kind} n=${count}`,
                );
              }
            }
          }
        }
      }
    }
  }
  assert(native >= 100, `${native} chunks decoded natively`);
  assert(fallback > 0);
});

Deno.test("decodeBlosc() decodes an AIND-shaped chunk (128³ uint16, zstd, shuffle)", async () => {
  const data = sample("noisy", 2, 128 ** 3, 7);
  const codec = Blosc.fromConfig({ id: "blosc", cname: "zstd", clevel: 1, shuffle: 1, blocksize: 0 });
  const encoded = await codec.encode(data);
  assertEquals(decodeBlosc(encoded), data);
});

Deno.test("decodeBlosc() says undefined for damaged chunks instead of returning wrong bytes", async () => {
  const data = sample("noisy", 2, 10000, 3);
  const encoded = await Blosc.fromConfig({ id: "blosc", cname: "zstd", clevel: 3, shuffle: 1, blocksize: 0 })
    .encode(
      data,
    );
  assertStrictEquals(decodeBlosc(encoded.subarray(0, encoded.length - 10)), undefined);
  assertStrictEquals(decodeBlosc(encoded.subarray(0, 8)), undefined);
  const corrupt = encoded.slice();
  corrupt[encoded.length - 20] ^= 0xff;
  let outcome: Uint8Array | undefined | "threw";
  try {
    outcome = decodeBlosc(corrupt);
  } catch {
    outcome = "threw";
  }
  // zstd checks its frames: a flipped byte may throw or be refused, but never pass as the original data.
  assert(outcome === "threw" || outcome === undefined || !outcome.every((v, i) => v === data[i]));
});

Deno.test("decodeBlosc() agrees with c-blosc (WASM) for typesizes 1, 2, 4, split or not, edge blocks", async () => {
  const { encodeBlosc } = await import("../../testing/blosc_encoder.ts");
  const wasm = Blosc.fromConfig({ id: "blosc", cname: "zstd", clevel: 1, shuffle: 1, blocksize: 0 });
  let cases = 0;
  for (const typesize of [1, 2, 4] as const) {
    for (const kind of ["smooth", "noisy", "random"] as const) {
      for (const count of [3, 1000, 50001]) {
        for (const split of [false, true]) {
          for (const shuffle of [0, 1] as const) {
            for (const cname of ["zstd", "zlib"] as const) {
              const data = sample(kind, typesize, count, cases + 11);
              const chunk = encodeBlosc(data, { typesize, blocksize: 16384, shuffle, split, cname });
              const reference = await wasm.decode(chunk);
              assertEquals(reference, data, "the test encoder writes valid Blosc");
              assertEquals(decodeBlosc(chunk), data);
              cases++;
            }
          }
        }
      }
    }
  }
  assertStrictEquals(cases, 3 * 3 * 3 * 2 * 2 * 2);
});
