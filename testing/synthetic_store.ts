/**
 * A read-only zarrita store that makes up a Zarr v2 image as it is read: the
 * voxels of chunk (z, y, x) are a cheap function of their position, stored
 * uncompressed. For exports larger than memory without a server or a disk of
 * chunks.
 *
 * @module
 */

/** The voxel value the store holds at (z, y, x). */
export function syntheticVoxel(z: number, y: number, x: number): number {
  return (x + 3 * y + 7 * z) & 0xffff;
}

/**
 * Creates the store: one multiscales level of `shape` (z, y, x) uint16 in chunks of `chunk`³.
 *
 * @param shape The level's shape (z, y, x).
 * @param chunk The chunk edge.
 * @returns The store.
 */
export function syntheticStore(
  shape: [number, number, number],
  chunk = 128,
): { get(key: string): Promise<Uint8Array | undefined> } {
  const enc = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const metadata = new Map<string, Uint8Array>([
    [
      "/.zattrs",
      enc({
        multiscales: [{
          version: "0.4",
          axes: ["z", "y", "x"].map((name) => ({ name, type: "space", unit: "micrometer" })),
          datasets: [{ path: "0", coordinateTransformations: [{ type: "scale", scale: [2, 1.8, 1.8] }] }],
        }],
      }),
    ],
    [
      "/0/.zarray",
      enc({
        zarr_format: 2,
        shape,
        chunks: [chunk, chunk, chunk],
        dtype: "<u2",
        compressor: null,
        fill_value: 0,
        order: "C",
        filters: null,
        dimension_separator: "/",
      }),
    ],
  ]);
  return {
    get(key: string): Promise<Uint8Array | undefined> {
      const known = metadata.get(key);
      if (known) return Promise.resolve(known);
      const match = /^\/0\/(\d+)\/(\d+)\/(\d+)$/.exec(key);
      if (!match) return Promise.resolve(undefined);
      const [cz, cy, cx] = match.slice(1).map(Number);
      const data = new Uint16Array(chunk ** 3);
      let i = 0;
      for (let z = cz * chunk; z < (cz + 1) * chunk; z++) {
        for (let y = cy * chunk; y < (cy + 1) * chunk; y++) {
          const base = syntheticVoxel(z, y, cx * chunk);
          for (let x = 0; x < chunk; x++) data[i++] = (base + x) & 0xffff;
        }
      }
      return Promise.resolve(new Uint8Array(data.buffer));
    },
  };
}
