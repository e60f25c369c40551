/**
 * Pairing our CCF cells with AIND's transformed cells while both files stream, in bounded memory: a merge
 * of two sequences ascending by key (AIND's `Cell ID` is the detection's row and its pipeline writes the
 * transformed cells in detection order, minus those it dropped outside the brain). Only the current batch
 * of each side is held. A key that goes backwards (a file not in that order) cannot be paired within
 * this bound: such cells are counted in `outOfOrder` and left unpaired, never paired wrongly.
 *
 * @module
 */
import type { DetectionBatch } from "./detections.ts";
import { DistanceSummary } from "./recount.ts";

/** Pairs batches of our cells with AIND's stream of cells, summarising the distances. */
export class StreamPairer {
  #theirs: AsyncIterator<DetectionBatch>;
  #batch: DetectionBatch | undefined;
  #at = 0;
  #done = false;
  #lastTheirs = -Infinity;
  #lastOurs = -Infinity;
  /** The distances of the cells paired. */
  readonly distances: DistanceSummary = new DistanceSummary();
  /** Cells (ours or theirs) whose key went backwards: left unpaired. */
  outOfOrder = 0;
  /** Whether our cells carried ids (else their row is their key). */
  oursHadIds = false;

  /**
   * @param theirs AIND's cells in Allen µm, in file order.
   * @param byId Whether their key is their `Cell ID` (else their row).
   */
  constructor(theirs: AsyncIterable<DetectionBatch>, readonly byId: boolean) {
    this.#theirs = theirs[Symbol.asyncIterator]();
  }

  /** The current cell of theirs, fetching the next batch when one is used up; false at the end. */
  async #ready(): Promise<boolean> {
    while (!this.#done && (!this.#batch || this.#at >= this.#batch.count)) {
      const next = await this.#theirs.next();
      if (next.done) this.#done = true;
      else [this.#batch, this.#at] = [next.value, 0];
    }
    return !this.#done;
  }

  #theirKey(): number {
    const b = this.#batch!;
    return this.byId ? (b.ids ? b.ids[this.#at] : NaN) : b.first + this.#at;
  }

  /**
   * Pairs a batch of our cells.
   * @param ccf Our `(ap, dv, ml)` µm per cell of the batch.
   * @param batch The detections' batch (rows and ids).
   */
  async add(ccf: Float32Array, batch: DetectionBatch): Promise<void> {
    if (batch.ids) this.oursHadIds = true;
    for (let i = 0; i < batch.count; i++) {
      // Without ids of ours (detected_cells.csv has none), AIND's Cell ID is read as the detection's row.
      const key = this.byId && this.oursHadIds ? (batch.ids ? batch.ids[i] : NaN) : batch.first + i;
      if (Number.isNaN(key)) continue;
      if (key < this.#lastOurs) {
        this.outOfOrder++;
        continue;
      }
      this.#lastOurs = key;
      while (await this.#ready()) {
        const theirs = this.#theirKey();
        if (Number.isNaN(theirs)) {
          this.#at++;
          continue;
        }
        if (theirs < this.#lastTheirs) this.outOfOrder++;
        else this.#lastTheirs = theirs;
        if (theirs < key) {
          this.#at++;
          continue;
        }
        if (theirs === key) {
          const t = this.#batch!.zyx, j = 3 * this.#at;
          this.distances.add(
            Math.hypot(ccf[3 * i] - t[j], ccf[3 * i + 1] - t[j + 1], ccf[3 * i + 2] - t[j + 2]),
          );
          this.#at++;
        }
        break;
      }
    }
  }

  /** Reads what is left of theirs (to finish the stream, and count keys out of order). */
  async finish(): Promise<void> {
    while (await this.#ready()) {
      const theirs = this.#theirKey();
      if (theirs < this.#lastTheirs) this.outOfOrder++;
      else if (!Number.isNaN(theirs)) this.#lastTheirs = theirs;
      this.#at++;
    }
  }
}
