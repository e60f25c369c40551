/**
 * spimfetch: SmartSPIM light-sheet volumes from public S3 buckets (OME-Zarr)
 * to analysis-ready, correctly oriented NIfTI.
 *
 * The steps of the reference notebook, each a function:
 *
 * 1. **list** the assets of a bucket: {@linkcode listAssets}, {@linkcode parseAssetName}
 * 2. **select** a stitched asset and channel: {@linkcode selectAsset}, {@linkcode listChannels},
 *    {@linkcode selectChannel}
 * 3. **read metadata**: {@linkcode openImage} (OME-NGFF multiscales), {@linkcode readAcquisition}
 * 4. **orient**: {@linkcode computeOrientation}
 * 5. **read voxels**: {@linkcode readLevel}, {@linkcode streamLevel}
 * 6. **write** NIfTI-1: {@linkcode writeNifti}
 *
 * and all of them at once: {@linkcode exportNifti}.
 *
 * @example The seed's job
 * ```ts ignore
 * import { exportNifti } from "@spimfetch/spimfetch";
 * const result = await exportNifti({ subject: "652506", channel: "Ex_561_Em_593", level: 3 });
 * console.log(result.path); // data/input/652506/652506_Ex_561_Em_593_L3.nii.gz
 * ```
 *
 * @module
 */
export * from "./lib/acquisition.ts";
export * from "./lib/atomic_file.ts";
export * from "./lib/chunk_cache.ts";
export * from "./lib/errors.ts";
export * from "./lib/export.ts";
export * from "./lib/format.ts";
export * from "./lib/image.ts";
export * from "./lib/info.ts";
export * from "./lib/limiter.ts";
export * from "./lib/list.ts";
export * from "./lib/multiscales.ts";
export * from "./lib/nifti_header.ts";
export * from "./lib/orient.ts";
export * from "./lib/progress.ts";
export * from "./lib/read.ts";
export * from "./lib/read_acquisition.ts";
export * from "./lib/s3_client.ts";
export * from "./lib/s3_store.ts";
export * from "./lib/select.ts";
export * from "./lib/units.ts";
export * from "./lib/volume.ts";
export * from "./lib/write_nifti.ts";
