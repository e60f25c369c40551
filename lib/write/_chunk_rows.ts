/**
 * Internal: a pyramid level's rows of chunks, kept on disk while they fill. An OME-Zarr chunk is whole only
 * once every z plane it spans has arrived, so a row of chunks (a chunk deep, the image wide) waits before it
 * can be compressed: 300 MB at level 3 of a SmartSPIM brain, 1.2 GB at level 2, 19 GB at level 0. Kept in an
 * uncompressed temporary file instead of memory, the writer's memory no longer grows with the level.
 *
 * The file holds rows in slots (a row's slot is reused once the row is read back), and each row is its
 * chunks' regions one after another, each region contiguous: a slab's part of a chunk is one positioned
 * write, and a chunk is read back with one positioned read.
 *
 * @module
 */
import type { ScratchFile } from "../core/temp_space.ts";

/** Rows of chunk regions in a temporary file. */
export class ChunkRows {
  readonly #file: ScratchFile;
  readonly #regionBytes: number;
  readonly #rowBytes: number;
  readonly #slots = new Map<number, number>();
  readonly #free: number[] = [];
  #count = 0;

  /**
   * @param file The temporary file (removed by {@linkcode remove}).
   * @param chunks Chunk regions per row.
   * @param regionBytes Bytes of each region.
   */
  constructor(file: ScratchFile, chunks: number, regionBytes: number) {
    this.#file = file;
    this.#regionBytes = regionBytes;
    this.#rowBytes = chunks * regionBytes;
  }

  /** The byte in the file where region `index` of row `row` starts, the row given a slot if it had none. */
  #at(row: number, index: number): number {
    let slot = this.#slots.get(row);
    if (slot === undefined) {
      slot = this.#free.pop() ?? this.#count++;
      this.#slots.set(row, slot);
    }
    return slot * this.#rowBytes + index * this.#regionBytes;
  }

  /** Writes `bytes` at byte `offset` of region `index` of row `row`. */
  write(row: number, index: number, offset: number, bytes: Uint8Array): void {
    this.#file.write(bytes, this.#at(row, index) + offset);
  }

  /** Reads region `index` of row `row` (its first `into.length` bytes; never-written bytes read as zeros). */
  read(row: number, index: number, into: Uint8Array): void {
    this.#file.read(into, this.#at(row, index));
  }

  /** Frees a row's slot for a later row (its bytes are overwritten, never zeroed). */
  release(row: number): void {
    const slot = this.#slots.get(row);
    if (slot === undefined) return;
    this.#slots.delete(row);
    this.#free.push(slot);
  }

  /** Closes and removes the file. */
  async remove(): Promise<void> {
    await this.#file.remove();
  }
}
