/**
 * A growable typed array of triples (cells' coordinates), so that 10^7 cells cost 12 bytes each as
 * float32 rather than a JavaScript object each.
 *
 * @module
 */

/** Triples appended one at a time, read back as one typed array. */
export class Triples {
  #data: Float32Array = new Float32Array(3 * 1024);
  #ids: Float64Array | undefined;
  #count = 0;

  /** How many triples. */
  get count(): number {
    return this.#count;
  }

  /** Appends (a, b, c), with an optional id. */
  push(a: number, b: number, c: number, id?: number): void {
    if (3 * this.#count + 3 > this.#data.length) {
      const grown = new Float32Array(this.#data.length * 2);
      grown.set(this.#data);
      this.#data = grown;
      if (this.#ids) {
        const ids = new Float64Array(this.#data.length / 3);
        ids.set(this.#ids);
        this.#ids = ids;
      }
    }
    const at = 3 * this.#count;
    this.#data[at] = a;
    this.#data[at + 1] = b;
    this.#data[at + 2] = c;
    if (id !== undefined) {
      this.#ids ??= new Float64Array(this.#data.length / 3).fill(NaN);
      this.#ids[this.#count] = id;
    }
    this.#count++;
  }

  /** The triples, `3 · count` values. */
  values(): Float32Array {
    return this.#data.subarray(0, 3 * this.#count);
  }

  /** The ids, when any was given (NaN where none). */
  ids(): Float64Array | undefined {
    return this.#ids?.subarray(0, this.#count);
  }
}
