/**
 * Makes zarrita decode Blosc chunks on worker threads with the native
 * decoder of `blosc.ts`, instead of on the calling thread with WASM.
 *
 * @module
 */
import * as zarr from "zarrita";
import { sharedWorkerPool, type WorkerPool } from "./worker_pool.ts";

type BloscConfig = { cname?: string; clevel?: number; shuffle?: number; blocksize?: number };

/** A zarrita bytes-to-bytes codec for `blosc` whose decode runs on a {@linkcode WorkerPool}. */
class WorkerBloscCodec {
  /** The zarrita codec kind. */
  readonly kind = "bytes_to_bytes";
  #config: BloscConfig;
  #pool: WorkerPool;

  /**
   * Creates the codec.
   * @param config The `.zarray` compressor or v3 codec configuration (kept for encoding).
   * @param pool The workers. @default {sharedWorkerPool()}
   */
  constructor(config: BloscConfig = {}, pool: WorkerPool = sharedWorkerPool()) {
    this.#config = config;
    this.#pool = pool;
  }

  /**
   * zarrita's factory.
   * @param config The codec configuration.
   * @returns The codec.
   */
  static fromConfig(config: BloscConfig): WorkerBloscCodec {
    return new WorkerBloscCodec(config);
  }

  /**
   * Compresses on the calling thread with the WASM codec (spimfetch only reads; tests write).
   * @param bytes Raw bytes.
   * @returns A Blosc chunk.
   */
  async encode(bytes: Uint8Array): Promise<Uint8Array> {
    const Blosc = (await import("numcodecs/blosc")).default;
    const shuffle = typeof this.#config.shuffle === "number" ? this.#config.shuffle : 1;
    return await Blosc.fromConfig({ id: "blosc", ...this.#config, shuffle }).encode(bytes);
  }

  /**
   * Decompresses on a worker.
   * @param bytes A Blosc chunk.
   * @returns The raw bytes.
   */
  decode(bytes: Uint8Array): Promise<Uint8Array> {
    return this.#pool.run<Uint8Array>({ op: "blosc", bytes });
  }
}

let registered = false;

/**
 * Registers {@linkcode WorkerBloscCodec} as zarrita's `blosc` codec (Zarr v2
 * compressor and v3 codec alike). Idempotent; {@linkcode openImage} calls it.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import * as zarr from "zarrita";
 * import { useWorkerBlosc } from "@spimfetch/spimfetch/codecs";
 * useWorkerBlosc();
 * const codec = await zarr.registry.get("blosc")!();
 * assert((codec as unknown as { name: string }).name === "WorkerBloscCodec");
 * ```
 */
export function useWorkerBlosc(): void {
  if (registered) return;
  registered = true;
  // deno-lint-ignore no-explicit-any
  const factory = () => WorkerBloscCodec as any;
  zarr.registry.set("blosc", factory);
  zarr.registry.set("numcodecs.blosc", factory);
}
