/**
 * The worker side of {@linkcode WorkerPool}: Blosc decode (native, with the
 * WASM codec as fallback), raw deflate segments for parallel gzip (ISA-L
 * where it loads, else libdeflate as WebAssembly), and chunk encoding for
 * writers (with the chunk's histogram and its pyramid mean on request).
 *
 * @module
 */
import { decodeBlosc, readBloscHeader } from "./blosc.ts";
import { decodeBloscNative } from "./_ffi_blosc.ts";
import { deflateSegmentNative } from "./_ffi_isal.ts";
import { deflateSegmentWasm, wasmCodecName } from "./_wasm_deflate.ts";
import { placeDecoded } from "./place_worker.ts";
import { encodeChunk } from "./chunk_encoder.ts";
import { countValues } from "./_value_counts.ts";
import { downsampleChunk } from "./_chunk_downsample.ts";
import type { WorkerRequest } from "./worker_pool.ts";

let wasmBlosc: { decode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array> } | undefined;

/** LZ4, BloscLZ, bit shuffle or a damaged chunk: c-blosc (WASM) decides. */
async function wasmDecode(bytes: Uint8Array): Promise<Uint8Array> {
  // c-blosc trusts the header's sizes and reads past the end of a truncated chunk, returning what lies
  // there as voxels: a chunk whose length is not the one its header gives is refused here.
  const header = readBloscHeader(bytes);
  if (!header || header.cbytes !== bytes.byteLength) {
    throw new Error(
      `the Blosc chunk is ${bytes.byteLength} bytes but its header gives ${
        header ? header.cbytes : "none (a header takes 16)"
      }: it is truncated or damaged`,
    );
  }
  wasmBlosc ??= (await import("numcodecs/blosc")).default.fromConfig({ id: "blosc" });
  return await wasmBlosc.decode(bytes);
}

async function handle(request: WorkerRequest): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  if (request.op === "place") {
    await placeDecoded(request.bytes, request.place, wasmDecode);
    // The compressed part goes back to be freed there: this thread allocates little, so it would seldom
    // collect it, and such garbage held hundreds of MB of memory across an export.
    return { value: request.bytes, transfer: [request.bytes.buffer as ArrayBuffer] };
  }
  if (request.op === "encode") {
    // Counted first, while the raw chunk is in this core's cache, and off the main thread.
    const counts = request.count ? countValues(request.bytes, request.count) : undefined;
    // The pyramid's next level, here rather than on the main thread (which only places the small block).
    const downsampled = request.downsample
      ? downsampleChunk(request.bytes, request.downsample, request.downsample.reuse)
      : undefined;
    let bytes = await encodeChunk(request.bytes, request.codec);
    // Only a buffer of its own can be moved back without taking other bytes along.
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = bytes.slice();
    // The raw chunk goes back too, for the next chunk: no fresh memory there, no garbage here.
    const input = request.bytes.buffer as ArrayBuffer;
    const transfer = [bytes.buffer as ArrayBuffer, input];
    if (counts) transfer.push(counts.buffer as ArrayBuffer);
    if (downsampled) transfer.push(downsampled.buffer as ArrayBuffer);
    return { value: { bytes, input, counts, downsampled }, transfer };
  }
  if (request.op === "blosc") {
    // c-blosc where it loads (about twice the pure decoder's speed), else the pure decoder.
    let bytes = decodeBloscNative(request.bytes) ?? decodeBlosc(request.bytes);
    bytes ??= await wasmDecode(request.bytes);
    return { value: bytes, transfer: [bytes.buffer as ArrayBuffer] };
  }
  // igzip where ISA-L and spimfetch's shim load (FFI for their exact paths: about 210 MB/s per core), else libdeflate as
  // WebAssembly (no permission: about 105 MB/s, twice zlib's), each at a level whose ratio is at least
  // zlib level 1's (see docs/performance.md, "Compression").
  const native = request.native === undefined
    ? undefined
    : deflateSegmentNative(request.bytes, { level: request.native, final: request.final });
  const bytes = native ?? deflateSegmentWasm(request.bytes, { level: request.level, final: request.final });
  const codec = native ? `ISA-L igzip level ${request.native} (native)` : wasmCodecName(request.level);
  // The input buffer goes back for the next segment: reused, it costs neither fresh memory there nor
  // garbage here (this thread allocates little, so it would seldom collect it).
  const input = request.bytes.buffer as ArrayBuffer;
  return { value: { bytes, input, codec }, transfer: [bytes.buffer as ArrayBuffer, input] };
}

// deno-lint-ignore no-explicit-any
const scope = self as any;
scope.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  try {
    const { value, transfer } = await handle(event.data);
    scope.postMessage({ ok: true, value }, transfer);
  } catch (error) {
    // An Error crosses as itself (class, message, stack); anything else, or an error that cannot be cloned,
    // as its text.
    try {
      scope.postMessage({ ok: false, error: error instanceof Error ? error : String(error) });
    } catch {
      scope.postMessage({ ok: false, error: String(error) });
    }
  }
};
