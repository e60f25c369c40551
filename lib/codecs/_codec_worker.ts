/**
 * The worker side of {@linkcode WorkerPool}: Blosc decode (native, with the
 * WASM codec as fallback) and raw deflate segments for parallel gzip.
 *
 * @module
 */
import zlib from "node:zlib";
import { decodeBlosc, readBloscHeader } from "./blosc.ts";
import type { WorkerRequest } from "./worker_pool.ts";

let wasmBlosc: { decode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array> } | undefined;

async function handle(request: WorkerRequest): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  if (request.op === "blosc") {
    let bytes = decodeBlosc(request.bytes);
    if (!bytes) {
      // c-blosc trusts the header's sizes and reads past the end of a truncated chunk, returning what lies
      // there as voxels: a chunk whose length is not the one its header gives is refused here.
      const header = readBloscHeader(request.bytes);
      if (!header || header.cbytes !== request.bytes.byteLength) {
        throw new Error(
          `the Blosc chunk is ${request.bytes.byteLength} bytes but its header gives ${
            header ? header.cbytes : "none (a header takes 16)"
          }: it is truncated or damaged`,
        );
      }
      // LZ4, BloscLZ, bit shuffle or a damaged chunk: c-blosc (WASM) decides.
      wasmBlosc ??= (await import("numcodecs/blosc")).default.fromConfig({ id: "blosc" });
      bytes = await wasmBlosc.decode(request.bytes);
    }
    return { value: bytes, transfer: [bytes.buffer as ArrayBuffer] };
  }
  // A sync flush ends a segment on a byte boundary without a final block, so
  // segments compressed apart join into one valid deflate stream (as pigz does).
  const out: Uint8Array = zlib.deflateRawSync(request.bytes, {
    level: request.level,
    finishFlush: request.final ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
  });
  const copy = new Uint8Array(out);
  return { value: { bytes: copy }, transfer: [copy.buffer as ArrayBuffer] };
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
