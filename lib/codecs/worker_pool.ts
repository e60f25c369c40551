/**
 * A small pool of worker threads for CPU-bound steps (chunk decode, gzip),
 * so that both cores work while the main thread fetches and writes.
 *
 * Deno's Web Workers move buffers between threads at memory speed (its
 * `node:worker_threads` took 100 ms per MiB here). A live worker keeps the
 * process running, so workers are stopped as soon as the pool is idle and
 * nobody holds it: a script, a test or a notebook cell never hangs on them.
 * Long jobs {@linkcode WorkerPool.hold} the pool so that the workers survive
 * the short idle gaps between chunks.
 *
 * @module
 */
import type { VoxelType } from "../core/volume.ts";

/**
 * Where a decoded chunk part goes (see `codecs/partial_chunks.ts`): for every
 * z in `z` and y in `y`, `width` items from `from + z·fromZ + y·fromY` of the
 * decoded part to `to + z·toZ + y·toY` of `target`, a view of shared memory.
 */
export interface PlaceRequest {
  /** The slab: a typed array over a `SharedArrayBuffer`. */
  target: Uint8Array;
  /** numpy-style codes ("u2", "f4", ...) of the slab's and the chunk's items. */
  targetType: string;
  /** The code of the chunk's items. */
  sourceType: string;
  /** Bytes the part decodes to. */
  decodedBytes: number;
  /** Whether the bytes are already decoded. */
  raw: boolean;
  /** The z range to copy (half-open). */
  z: [number, number];
  /** The y range to copy (half-open). */
  y: [number, number];
  /** Items per copied run (along x). */
  width: number;
  /** First item in the decoded part. */
  from: number;
  /** Items between z-planes of the decoded part. */
  fromZ: number;
  /** Items between rows of the decoded part. */
  fromY: number;
  /** First item in the slab. */
  to: number;
  /** Items between z-planes of the slab. */
  toZ: number;
  /** Items between rows of the slab. */
  toY: number;
}

/** How to compress a chunk, as a writer records it in `.zarray` or `zarr.json`. */
export type ChunkCodec =
  | {
    /** Blosc 1, as numcodecs' `blosc` (v2) and the v3 `blosc` codec spell it. */
    id: "blosc";
    /** Inner compressor. */
    cname: "zstd" | "lz4" | "zlib" | "blosclz";
    /** Inner compressor level, 0-9. */
    clevel: number;
    /** 0 none, 1 byte shuffle, 2 bit shuffle. */
    shuffle: 0 | 1 | 2;
    /** Element size in bytes (the unit of shuffling). */
    typesize: number;
    /** Bytes per Blosc block; 0 lets c-blosc choose (64 KiB for zstd at levels 1-2). @default {0} */
    blocksize?: number;
  }
  | {
    /** gzip (RFC 1952), as numcodecs' `gzip` (v2) and the v3 `gzip` codec spell it. */
    id: "gzip";
    /** zlib level, 0-9. */
    level: number;
  }
  | {
    /** No compression. */
    id: "raw";
  };

/** Which voxels of a raw chunk to count: its shape and the corner part holding data (the rest is padding). */
export interface ValueCount {
  /** The voxel type. */
  type: "uint8" | "int8" | "uint16" | "int16";
  /** The chunk's (z, y, x). */
  shape: [number, number, number];
  /** The (z, y, x) extent of real voxels from the chunk's origin. */
  valid: [number, number, number];
  /** Count one voxel in `stride` (those whose index in the chunk is a multiple of it). @default {1} */
  stride?: number;
}

/**
 * The pyramid's next level from a raw chunk: its 2×2×2 mean (see `_chunk_downsample.ts`), computed where
 * the chunk is encoded.
 */
export interface ChunkDownsample {
  /** The voxel type (of the chunk and of the mean). */
  type: VoxelType;
  /** The chunk's (z, y, x). */
  shape: [number, number, number];
  /** The (z, y, x) extent of real voxels from the chunk's origin. */
  valid: [number, number, number];
  /** A buffer of the mean's size to fill (moved to the worker and back), else the worker allocates one. */
  reuse?: ArrayBuffer;
}

/** A request as the codec worker understands it. */
export type WorkerRequest =
  | { op: "place"; bytes: Uint8Array; place: PlaceRequest }
  | { op: "blosc"; bytes: Uint8Array }
  /** Raw deflate with libdeflate at `level` (0-12), or igzip at level `native` where ISA-L loads. */
  | { op: "deflate"; bytes: Uint8Array; level: number; final: boolean; native?: number }
  /**
   * `count`: also count the chunk's voxels by value (see `_value_counts.ts`), returned as `counts`;
   * `downsample`: also average it 2×2×2, returned as `downsampled`.
   */
  | { op: "encode"; bytes: Uint8Array; codec: ChunkCodec; count?: ValueCount; downsample?: ChunkDownsample };

interface Job {
  request: WorkerRequest;
  transfer: ArrayBuffer[];
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

/**
 * Runs requests on up to `size` workers, each one request at a time, in arrival order.
 *
 * @example Deflate a buffer on a worker
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import zlib from "node:zlib";
 * import { WorkerPool } from "./worker_pool.ts";
 * const pool = new WorkerPool({ size: 1 });
 * const bytes = new Uint8Array(1000).fill(7);
 * const result = await pool.run<{ bytes: Uint8Array }>({ op: "deflate", bytes, level: 1, final: true });
 * assertEquals(new Uint8Array(zlib.inflateRawSync(result.bytes)), bytes);
 * ```
 */
export class WorkerPool {
  /** Most workers at once. */
  readonly size: number;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #url: URL;
  #holds = 0;

  /**
   * Creates a pool; workers start on demand.
   * @param options Pool size and worker script. @default {size: navigator.hardwareConcurrency}
   */
  constructor(options: { size?: number; url?: URL } = {}) {
    this.size = Math.max(1, options.size ?? navigator.hardwareConcurrency ?? 2);
    this.#url = options.url ?? new URL("./_codec_worker.ts", import.meta.url);
  }

  /** Workers running now (0 when idle and not held). */
  get workers(): number {
    return this.#slots.length;
  }

  /**
   * Keeps the workers alive between jobs until the returned function is called.
   * @returns The release function (calling it twice is harmless).
   */
  hold(): () => void {
    this.#holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds--;
      this.#stopIfIdle();
    };
  }

  /**
   * Runs one request on the next free worker.
   * @param request The request.
   * @param transfer Buffers to move to the worker instead of copying (the caller must not use them after).
   * @returns The worker's answer.
   */
  run<T>(request: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    const { bytes } = request;
    if (!transfer.includes(bytes.buffer as ArrayBuffer)) {
      // Copying here means only the bytes in view cross, and the copy can be moved rather than cloned.
      request = { ...request, bytes: bytes.slice() };
      transfer = [...transfer, request.bytes.buffer as ArrayBuffer];
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ request, transfer, resolve: resolve as (value: unknown) => void, reject });
      this.#dispatch();
    });
  }

  /** Stops every worker now; queued and running requests are rejected. */
  close(): void {
    for (const job of this.#queue.splice(0)) job.reject(new Error("Worker pool closed"));
    for (const slot of this.#slots) {
      slot.job?.reject(new Error("Worker pool closed"));
      slot.worker.terminate();
    }
    this.#slots = [];
  }

  #spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.#url.href, { type: "module" }), job: undefined };
    slot.worker.onmessage = (event: MessageEvent<{ ok: boolean; value?: unknown; error?: unknown }>) => {
      const job = slot.job!;
      slot.job = undefined;
      if (event.data.ok) job.resolve(event.data.value);
      // The worker's error itself (cloned with its class, message and stack), so callers can tell a
      // decoder's refusal from a crash.
      else {job.reject(
          event.data.error instanceof Error ? event.data.error : new Error(String(event.data.error)),
        );}
      this.#dispatch();
    };
    slot.worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      // A crashed worker is dropped; its job fails and the next job gets a fresh worker.
      slot.worker.terminate();
      this.#slots = this.#slots.filter((s) => s !== slot);
      slot.job?.reject(new Error(`Worker failed: ${event.message}`));
      this.#dispatch();
    };
    this.#slots.push(slot);
    return slot;
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.job === undefined);
      if (!slot && this.#slots.length < this.size) slot = this.#spawn();
      if (!slot) return;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker.postMessage(job.request, job.transfer);
    }
    this.#stopIfIdle();
  }

  #stopIfIdle(): void {
    if (this.#holds > 0 || this.#queue.length > 0 || this.#slots.some((s) => s.job)) return;
    for (const slot of this.#slots) slot.worker.terminate();
    this.#slots = [];
  }
}

let shared: WorkerPool | undefined;

/**
 * The process-wide pool (one worker per core), created on first use.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { sharedWorkerPool } from "./worker_pool.ts";
 * assert(sharedWorkerPool() === sharedWorkerPool());
 * ```
 * @returns The pool.
 */
export function sharedWorkerPool(): WorkerPool {
  return shared ??= new WorkerPool();
}
