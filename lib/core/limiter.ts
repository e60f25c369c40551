/**
 * A bound on work in flight, shared by everything that talks to one store.
 *
 * @module
 */

/**
 * Runs async tasks with at most `limit` running at once, first come first
 * served. zarrita's default queue starts every chunk request at once; this is
 * both the store's request bound and a `createQueue` for `zarr.get`.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { Limiter } from "./limiter.ts";
 * const limiter = new Limiter(2);
 * const results = await Promise.all([1, 2, 3].map((n) => limiter.run(async () => n * 2)));
 * assert(results.join() === "2,4,6");
 * ```
 */
export class Limiter {
  /** The most tasks that run at once. */
  readonly limit: number;
  #running = 0;
  #waiting: (() => void)[] = [];

  /**
   * Creates a limiter.
   * @param limit The most tasks that run at once (a positive integer).
   * @throws {RangeError} If `limit` is not a positive integer.
   */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`Cannot limit concurrency to ${limit}: expected a positive integer`);
    }
    this.limit = limit;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /**
   * Runs `task` when a slot is free.
   * @param task The work.
   * @returns What the task returns.
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so `running` never dips and overshoots.
      if (next) next();
      else this.#running--;
    }
  }
}
