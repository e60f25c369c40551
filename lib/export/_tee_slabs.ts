/**
 * One stream of z-slabs read by several writers at once (several outputs of the same voxels in one pass, so
 * S3 is read once). A slab is kept until every writer still reading has taken it, and the fastest writer
 * waits when it is `maxAhead` slabs ahead of the slowest: memory stays a few slabs whatever the level. With
 * several readers each slab is copied as it is pulled, since the source may reuse its buffer once asked again.
 *
 * @module
 */
import type { VoxelArray } from "../core/volume.ts";

/** The readers of a teed stream, and a way to let one go. */
export interface TeedSlabs {
  /** One iterable per reader, each reading every slab once. */
  readers: AsyncIterable<VoxelArray>[];
  /**
   * Stops waiting for reader `index` (it finished, failed, or will never read): the others are no longer
   * held back by it. When no reader is left the source is closed.
   */
  release(index: number): Promise<void>;
}

/**
 * Splits a stream of slabs into `count` readers (see the module documentation).
 *
 * @param slabs The source, read once.
 * @param count How many readers.
 * @param options How far the fastest reader may run ahead of the slowest, in slabs; a signal that wakes
 * waiting readers with its reason.
 * @returns The readers and `release`.
 */
export function teeSlabs(
  slabs: AsyncIterable<VoxelArray>,
  count: number,
  options: { maxAhead?: number; signal?: AbortSignal } = {},
): TeedSlabs {
  const maxAhead = Math.max(1, options.maxAhead ?? 2);
  const source = slabs[Symbol.asyncIterator]();
  const held: VoxelArray[] = [];
  let first = 0; // index of held[0] in the stream
  let ended = false;
  let failure: { error: unknown } | undefined;
  let pulling: Promise<void> | undefined;
  const position = new Array<number>(count).fill(0);
  const active = new Array<boolean>(count).fill(true);
  let waiters: (() => void)[] = [];
  const wake = (): void => {
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
  };
  const changed = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));
  options.signal?.addEventListener("abort", wake, { once: true });
  const slowest = (): number => {
    let min = Infinity;
    for (let i = 0; i < count; i++) if (active[i]) min = Math.min(min, position[i]);
    return min;
  };
  const trim = (): void => {
    const keepFrom = slowest();
    while (held.length > 0 && first < keepFrom) (held.shift(), first++);
    wake();
  };
  const pull = (): Promise<void> =>
    pulling ??= source.next().then(
      // A copy: the level reader refills a slab's buffer once the next slab is asked for, and a slab held here
      // for a slower reader outlives that request. One reader takes the slab before the next request.
      (r) => void (r.done ? (ended = true) : held.push(count > 1 ? r.value.slice() : r.value)),
      (error) => void (failure = { error }),
    ).finally(() => {
      pulling = undefined;
      wake();
    });

  async function next(i: number): Promise<IteratorResult<VoxelArray>> {
    while (true) {
      options.signal?.throwIfAborted();
      if (failure) throw failure.error;
      if (!active[i]) return { done: true, value: undefined };
      const at = position[i];
      if (at < first + held.length) {
        const value = held[at - first];
        position[i]++;
        trim();
        return { done: false, value };
      }
      if (ended) return { done: true, value: undefined };
      if (at - slowest() >= maxAhead) await changed();
      else await pull();
    }
  }

  async function release(i: number): Promise<void> {
    if (!active[i]) return;
    active[i] = false;
    trim();
    if (active.every((a) => !a)) {
      held.length = 0;
      if (!ended) {
        ended = true;
        await pulling;
        await source.return?.();
      }
    }
  }

  const readers = Array.from({ length: count }, (_, i): AsyncIterable<VoxelArray> => ({
    [Symbol.asyncIterator]: (): AsyncIterator<VoxelArray> => ({
      next: () => next(i),
      return: async () => {
        await release(i);
        return { done: true, value: undefined };
      },
    }),
  }));
  return { readers, release };
}
