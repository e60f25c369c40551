/**
 * The worker side of resampling into CCF: pulls positions or samples values
 * for a range of a slab. Everything large arrives in `SharedArrayBuffer`s
 * (fields, positions, region, output), so no voxel is copied between threads.
 *
 * @module
 */
import { type PullGrid, pullPositions, samplePositions } from "./_pull.ts";
import type { AffineMap, CcfTransforms } from "./transforms.ts";
import type { DisplacementField } from "./displacement_field.ts";

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
    integer: readonly [number, number] | undefined;
  };

/**
 * Structured cloning turns arrays of numbers into arrays of boxed values; the per-voxel loops read the
 * small arrays of the transforms, so they go back to float64 here.
 */
function unboxed(t: CcfTransforms): CcfTransforms {
  const affine = (a: AffineMap): AffineMap => ({
    ...a,
    matrix: f64(a.matrix),
    offset: f64(a.offset),
    inverse: f64(a.inverse),
  });
  const field = (d: DisplacementField): DisplacementField => ({
    ...d,
    size: Array.from(d.size) as [number, number, number],
    indexToLps: f64(d.indexToLps),
    lpsToIndex: f64(d.lpsToIndex),
  });
  return {
    lsAffine: affine(t.lsAffine),
    lsWarp: field(t.lsWarp),
    lsInverseWarp: t.lsInverseWarp && field(t.lsInverseWarp),
    templateAffine: affine(t.templateAffine),
    templateWarp: field(t.templateWarp),
    templateInverseWarp: t.templateInverseWarp && field(t.templateInverseWarp),
  };
}

function f64(values: readonly number[]): number[] {
  return Float64Array.from(values) as unknown as number[];
}

// deno-lint-ignore no-explicit-any
const scope = self as any;
scope.onmessage = (event: MessageEvent<PullJob>) => {
  try {
    const job = event.data;
    if (job.op === "ccf-pull") {
      const box = pullPositions(
        unboxed(job.transforms),
        { size: job.grid.size, indexToLps: f64(job.grid.indexToLps) },
        f64(job.lpsToLevel),
        f64(job.levelSize),
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
