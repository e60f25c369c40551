/**
 * The worker side of resampling into CCF: pulls positions or samples values
 * for a range of a slab. Everything large arrives in `SharedArrayBuffer`s
 * (fields, positions, region, output), so no voxel is copied between threads.
 *
 * @module
 */
import { type PullGrid, pullPositions, samplePositions } from "./_pull.ts";
import type { CcfTransforms } from "./_transforms.ts";

/** A job for this worker. */
export type PullJob =
  | {
    op: "ccf-pull";
    transforms: CcfTransforms;
    grid: PullGrid;
    lpsToLevel: number[];
    levelSize: number[];
    k0: number;
    start: number;
    end: number;
    positions: Float64Array;
  }
  | {
    op: "ccf-sample";
    region: ArrayLike<number>;
    box: number[];
    levelSize: number[];
    positions: Float64Array;
    start: number;
    end: number;
    out: { [index: number]: number };
    integer: [number, number] | undefined;
  };

// deno-lint-ignore no-explicit-any
const scope = self as any;
scope.onmessage = (event: MessageEvent<PullJob>) => {
  try {
    const job = event.data;
    if (job.op === "ccf-pull") {
      const box = pullPositions(
        job.transforms,
        job.grid,
        job.lpsToLevel,
        job.levelSize,
        job.k0,
        job.start,
        job.end,
        job.positions,
      );
      scope.postMessage({ ok: true, value: box ?? null });
    } else {
      samplePositions(
        job.region,
        job.box,
        job.levelSize,
        job.positions,
        job.start,
        job.end,
        job.out,
        job.integer,
      );
      scope.postMessage({ ok: true, value: null });
    }
  } catch (error) {
    scope.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
};
