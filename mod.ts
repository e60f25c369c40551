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
 * Registration-ready output (atlas orientation such as the Allen CCF's `PIR`, atlas spacing by area
 * averaging, NIfTI or NRRD with a JSON sidecar, AIND's known metadata caveats):
 * {@linkcode prepareForRegistration}, built from {@linkcode parseOrientation},
 * {@linkcode reorientVolume}, {@linkcode resampleVolume}, {@linkcode writeNrrd} and
 * {@linkcode checkAindCaveats}.
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
export * from "./lib/aind_caveats.ts";
export * from "./lib/atomic_file.ts";
export * from "./lib/blosc.ts";
export * from "./lib/choose_level.ts";
export * from "./lib/chunk_cache.ts";
export * from "./lib/disk_cache.ts";
export * from "./lib/display.ts";
export * from "./lib/env.ts";
export * from "./lib/errors.ts";
export * from "./lib/export.ts";
export * from "./lib/fast_blosc.ts";
export * from "./lib/figures.ts";
export * from "./lib/format.ts";
export * from "./lib/guards.ts";
export * from "./lib/image.ts";
export * from "./lib/info.ts";
export * from "./lib/jupyter.ts";
export * from "./lib/limiter.ts";
export * from "./lib/list.ts";
export * from "./lib/multiscales.ts";
export * from "./lib/nifti_header.ts";
export * from "./lib/notebook_progress.ts";
export * from "./lib/open_source.ts";
export * from "./lib/orient.ts";
export * from "./lib/orientation_codes.ts";
export * from "./lib/orientation_transform.ts";
export * from "./lib/parallel_gzip.ts";
export * from "./lib/png.ts";
export * from "./lib/prepare.ts";
export * from "./lib/prepare_volume.ts";
export * from "./lib/preview.ts";
export * from "./lib/preview_levels.ts";
export * from "./lib/progress.ts";
export * from "./lib/read.ts";
export * from "./lib/read_acquisition.ts";
export * from "./lib/registration_views.ts";
export * from "./lib/reorient.ts";
export * from "./lib/resample.ts";
export * from "./lib/s3_client.ts";
export * from "./lib/s3_store.ts";
export * from "./lib/select.ts";
export * from "./lib/stage_voxels.ts";
export * from "./lib/stored_bytes.ts";
export * from "./lib/units.ts";
export * from "./lib/volume.ts";
export * from "./lib/worker_pool.ts";
export * from "./lib/write_nifti.ts";
export * from "./lib/write_nrrd.ts";
export * from "./lib/write_prepared.ts";
export * from "./lib/ccf/mod.ts";
