/**
 * Shared memory for the compressed chunk parts handed to decode workers. A message that moves an
 * `ArrayBuffer` to a worker still costs about as much as copying it in Deno 2.9 (0.6 ms for 1 MB against
 * 0.05 ms for 16 bytes, measured on the benchmark machine), and every part in fresh memory costs a page
 * fault per 4 KiB. A part built in a `SharedArrayBuffer` crosses without either; the buffer is used again
 * once the worker has answered.
 *
 * @module
 */

/** Smallest buffer handed out: parts are about 100 KB to 2 MB. */
const MIN_BYTES = 64 * 1024;

/** Spare shared buffers by size (powers of two), with a cap on what is kept. */
export class StagingBuffers {
  #spare = new Map<number, SharedArrayBuffer[]>();
  #kept = 0;
  #maxKept: number;

  /**
   * Creates the pool.
   * @param maxKept Most bytes of spare buffers kept for later.
   */
  constructor(maxKept: number) {
    this.#maxKept = maxKept;
  }

  /** Bytes of spare buffers kept now. */
  get kept(): number {
    return this.#kept;
  }

  /**
   * A view of `length` bytes of shared memory, a spare buffer's when one of its size is free. Its content
   * is whatever was there: the caller writes every byte it hands on.
   * @param length Bytes needed.
   * @returns The view, at offset 0 of its buffer.
   */
  take(length: number): Uint8Array {
    const size = Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(Math.max(1, length))));
    const spare = this.#spare.get(size)?.pop();
    if (spare) this.#kept -= size;
    return new Uint8Array(spare ?? new SharedArrayBuffer(size), 0, length);
  }

  /**
   * Gives a view from {@linkcode take} back; nothing may use it afterwards. Views of other memory are
   * ignored.
   * @param view The view.
   */
  give(view: Uint8Array): void {
    const buffer = view.buffer;
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < MIN_BYTES) return;
    const size = buffer.byteLength;
    if ((size & (size - 1)) !== 0 || this.#kept + size > this.#maxKept) return;
    let list = this.#spare.get(size);
    if (!list) this.#spare.set(size, list = []);
    if (list.includes(buffer)) return;
    list.push(buffer);
    this.#kept += size;
  }
}

/** The pool the readers share: 16 parts in flight at about 200 KB to 2 MB each fit well under this. */
export const stagingBuffers: StagingBuffers = new StagingBuffers(48 * 2 ** 20);
