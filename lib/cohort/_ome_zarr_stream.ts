/**
 * Internal: level 0 of an OME-Zarr store on disk (NGFF 0.4 on Zarr v2, or 0.5 on Zarr v3) as runs of
 * voxels in file order, one chunk row of z planes at a time, for the cohort summary.
 *
 * @module
 */
import { join } from "node:path";
import * as zarr from "zarrita";
import { isVoxelType, type VoxelType } from "../core/volume.ts";

/** A read-only zarrita store over a directory. */
function directoryStore(root: string): zarr.AsyncReadable {
  return {
    get: async (key: string): Promise<Uint8Array | undefined> => {
      try {
        return await Deno.readFile(join(root, key.replace(/^\/+/, "")));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw error;
      }
    },
  };
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new SyntaxError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** The path of level 0 in a store's `multiscales` (NGFF 0.4 `.zattrs`, or 0.5 `zarr.json` under `ome`). */
async function levelZeroPath(store: string): Promise<string> {
  const v2 = await readJson(join(store, ".zattrs"));
  const v3 = v2 ? undefined : await readJson(join(store, "zarr.json"));
  const attrs = (v2 ?? ((v3?.attributes as Record<string, unknown> | undefined)?.ome)) as
    | { multiscales?: { datasets?: { path?: string }[] }[] }
    | undefined;
  const path = attrs?.multiscales?.[0]?.datasets?.[0]?.path;
  if (typeof path !== "string") {
    throw new SyntaxError(`Cannot read ${store}: no OME-NGFF "multiscales" with a dataset path`);
  }
  return path;
}

/**
 * Opens level 0 of an OME-Zarr store and streams its voxels.
 *
 * @param store The store's directory.
 * @param signal Cancels between chunk rows.
 * @returns The shape (z, y, x), voxel type and runs (x fastest).
 */
export async function openOmeZarrLevelZero(
  store: string,
  signal?: AbortSignal,
): Promise<{ shape: [number, number, number]; dtype: VoxelType; runs: AsyncGenerator<ArrayLike<number>> }> {
  const location = zarr.root(directoryStore(store)).resolve(await levelZeroPath(store));
  const array = await zarr.open(location, { kind: "array" });
  if (array.shape.length !== 3 || !isVoxelType(array.dtype)) {
    throw new SyntaxError(
      `Cannot read ${store}: level 0 is ${array.dtype} of shape [${array.shape}]: expected 3-D scalars`,
    );
  }
  const shape = array.shape as [number, number, number];
  const rows = array.chunks[0];
  async function* runs(): AsyncGenerator<ArrayLike<number>> {
    for (let z = 0; z < shape[0]; z += rows) {
      signal?.throwIfAborted();
      const part = await zarr.get(array, [zarr.slice(z, Math.min(shape[0], z + rows)), null, null]);
      yield part.data as unknown as ArrayLike<number>;
    }
  }
  return { shape, dtype: array.dtype as VoxelType, runs: runs() };
}
