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
export * from "./lib/metadata/acquisition.ts";
export * from "./lib/metadata/aind_caveats.ts";
export * from "./lib/write/atomic_file.ts";
export * from "./lib/codecs/blosc.ts";
export * from "./lib/select/choose_level.ts";
export * from "./lib/s3/chunk_cache.ts";
export * from "./lib/s3/disk_cache.ts";
export * from "./lib/display/display.ts";
export * from "./lib/display/notebook_settings.ts";
export * from "./lib/core/errors.ts";
export * from "./lib/export/export_nifti.ts";
export * from "./lib/codecs/worker_blosc.ts";
export * from "./lib/display/figures.ts";
export * from "./lib/display/format.ts";
export * from "./lib/core/names.ts";
export * from "./lib/core/text.ts";
export * from "./lib/core/bytes.ts";
export * from "./lib/core/progress_event.ts";
export * from "./lib/metadata/_store_keys.ts";
export * from "./lib/metadata/_array_checks.ts";
export * from "./lib/read/memory.ts";
export * from "./lib/metadata/image.ts";
export * from "./lib/source/describe.ts";
export * from "./lib/display/jupyter.ts";
export * from "./lib/core/limiter.ts";
export * from "./lib/list/assets.ts";
export * from "./lib/metadata/multiscales.ts";
export * from "./lib/write/nifti_header.ts";
export * from "./lib/display/notebook_progress.ts";
export * from "./lib/source/open_source.ts";
export * from "./lib/orient/orient.ts";
export * from "./lib/orient/codes.ts";
export * from "./lib/orient/transform.ts";
export * from "./lib/codecs/parallel_gzip.ts";
export * from "./lib/display/png.ts";
export * from "./lib/registration/prepare.ts";
export * from "./lib/registration/prepare_volume.ts";
export * from "./lib/display/preview.ts";
export * from "./lib/display/preview_levels.ts";
export * from "./lib/display/progress.ts";
export * from "./lib/read/read.ts";
export * from "./lib/metadata/read_acquisition.ts";
export * from "./lib/display/registration_views.ts";
export * from "./lib/registration/reorient.ts";
export * from "./lib/registration/resample.ts";
export * from "./lib/s3/client.ts";
export * from "./lib/s3/store.ts";
export * from "./lib/s3/retry.ts";
export * from "./lib/s3/errors.ts";
export * from "./lib/select/select.ts";
export * from "./lib/write/_stage_voxels.ts";
export * from "./lib/metadata/stored_bytes.ts";
export * from "./lib/metadata/units.ts";
export * from "./lib/core/volume.ts";
export * from "./lib/codecs/worker_pool.ts";
export * from "./lib/write/nifti.ts";
export * from "./lib/write/nrrd.ts";
export * from "./lib/registration/write_prepared.ts";
