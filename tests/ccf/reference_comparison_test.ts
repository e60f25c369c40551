/**
 * The comparison with AIND's `moved_ls_to_ccf.nii.gz`, on small signals whose normalized cross-correlation is
 * worked out by hand. The reference read from S3 is covered by write_brain_in_ccf_test.
 *
 * @module
 */
import { assertAlmostEquals, assertEquals, assertStrictEquals } from "@std/assert";
import {
  type CcfReference,
  comparedSlabs,
  comparisonSkipReason,
  NccSums,
} from "../../lib/ccf/_reference_comparison.ts";

Deno.test("NccSums gives ±1 for signals that are affine in each other and 0 against a constant", () => {
  const same = new NccSums();
  same.add([1, 2, 3, 4], [2, 4, 6, 8]);
  assertAlmostEquals(same.ncc(), 1, 1e-12);
  const opposite = new NccSums();
  opposite.add([1, 2, 3, 4], [4, 3, 2, 1]);
  assertAlmostEquals(opposite.ncc(), -1, 1e-12);
  const flat = new NccSums();
  flat.add([1, 2, 3], [5, 5, 5]);
  assertStrictEquals(flat.ncc(), 0);
});

Deno.test("NccSums accumulates across slabs: [1, 2, 3] against [1, 3, 2] is 0.5", () => {
  // Deviations from the means (2 and 2): a = (−1, 0, 1), b = (−1, 1, 0); covariance 1, variances 2 and 2.
  const sums = new NccSums();
  sums.add([1, 2], [1, 3, 99]); // the reference may hand more voxels than the slab: only the slab's count
  sums.add([3], [2]);
  assertEquals(sums.voxels, 3);
  assertAlmostEquals(sums.ncc(), 0.5, 1e-12);
});

Deno.test("comparisonSkipReason() names a missing reference and a grid mismatch", () => {
  assertEquals(comparisonSkipReason(undefined, [528, 320, 456]), "no moved_ls_to_ccf.nii.gz");
  assertEquals(
    comparisonSkipReason({ uri: "s3://b/r.nii.gz", size: [528, 320, 455] }, [528, 320, 456]),
    "s3://b/r.nii.gz is [528,320,455] voxels, not the grid's [528,320,456]",
  );
  assertStrictEquals(comparisonSkipReason({ uri: "s3://b/r.nii.gz", size: [2, 3, 4] }, [2, 3, 4]), undefined);
});

Deno.test("comparedSlabs() hands the slabs on unchanged and pairs each with the reference's next voxels", async () => {
  const reference = [10, 20, 30, 40, 50];
  let at = 0;
  const fake = {
    uri: "s3://b/r.nii.gz",
    read: (n: number): Promise<Float64Array> => {
      const part = Float64Array.from(reference.slice(at, at + n));
      at += n;
      return Promise.resolve(part);
    },
  } as unknown as CcfReference;
  async function* slabs(): AsyncGenerator<Uint16Array> {
    yield Uint16Array.of(1, 2);
    yield Uint16Array.of(3, 4, 5);
  }
  const sums = new NccSums();
  const seen: number[][] = [];
  for await (const slab of comparedSlabs(slabs(), fake, sums)) seen.push([...slab]);
  assertEquals(seen, [[1, 2], [3, 4, 5]]);
  assertEquals(sums.voxels, 5);
  assertAlmostEquals(sums.ncc(), 1, 1e-12);
});
