/**
 * A small pool of worker threads for CPU-bound steps (chunk decode, gzip),
 * so that both cores work while the main thread fetches and writes.
 *
 * Workers are `node:worker_threads` workers because those can be unref'd: an
 * idle pool never keeps a script, a test or a notebook kernel alive, and a
 * busy one does, so no result is lost.
 *
 * @module
 */
import { Worker } from "node:worker_threads";

/** A request as the codec worker understands it. */
export type WorkerRequest =
  | { op: "blosc"; bytes: Uint8Array }
  | { op: "deflate"; bytes: Uint8Array; level: number; final: boolean };

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
 * Runs requests on a fixed set of workers, each one request at a time, in
 * arrival order.
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
 * await pool.close();
 * ```
 */
export class WorkerPool {
  /** Number of workers. */
  readonly size: number;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #url: URL;

  /**
   * Creates a pool; workers start on first use.
   * @param options Pool size and worker script. @default {size: navigator.hardwareConcurrency}
   */
  constructor(options: { size?: number; url?: URL } = {}) {
    this.size = Math.max(1, options.size ?? navigator.hardwareConcurrency ?? 2);
    this.#url = options.url ?? new URL("./codec_worker.ts", import.meta.url);
  }

  /**
   * Runs one request on the next free worker.
   * @param request The request.
   * @param transfer Buffers to move to the worker instead of copying (the caller must not use them after).
   * @returns The worker's answer.
   */
  run<T>(request: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ request, transfer, resolve: resolve as (value: unknown) => void, reject });
      this.#dispatch();
    });
  }

  /** Stops every worker; pending requests are rejected. */
  async close(): Promise<void> {
    const slots = this.#slots;
    this.#slots = [];
    for (const job of this.#queue.splice(0)) job.reject(new Error("Worker pool closed"));
    for (const slot of slots) slot.job?.reject(new Error("Worker pool closed"));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.#url), job: undefined };
    slot.worker.unref();
    slot.worker.on("message", (message: { ok: boolean; value?: unknown; error?: string }) => {
      const job = slot.job!;
      slot.job = undefined;
      slot.worker.unref();
      if (message.ok) job.resolve(message.value);
      else job.reject(new Error(message.error));
      this.#dispatch();
    });
    slot.worker.on("error", (error: unknown) => {
      // A crashed worker is replaced; its job fails.
      this.#slots = this.#slots.filter((s) => s !== slot);
      slot.job?.reject(error);
      this.#dispatch();
    });
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
      slot.worker.ref();
      slot.worker.postMessage(job.request, job.transfer);
    }
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
