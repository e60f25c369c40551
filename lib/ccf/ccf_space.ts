/**
 * Opening an asset's CCF space, in named steps: select the asset and find its registration, open the
 * registered channel as any source is opened (`openSource`), plan the pipeline's LS space and where its
 * transforms are (pure), then read the transforms.
 *
 * @module
 */
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { computeOrientation } from "../orient/orient.ts";
import type { OmeZarrImage } from "../metadata/image.ts";
import type { Asset } from "../list/assets.ts";
import type { AcquisitionRecord } from "../metadata/read_acquisition.ts";
import { DEFAULT_REGION, formatS3Uri, S3_OPTION_KEYS, type S3Options } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import { type Channel, selectAsset } from "../select/select.ts";
import { type OpenedSource, openSource } from "../source/open_source.ts";
import type { ImageGeometry } from "../core/volume.ts";
import { findRegistration, type Registration } from "./registration.ts";
import {
  type AffineMap,
  type CcfTransforms,
  DEFAULT_TEMPLATE_PREFIX,
  LS_TRANSFORM_FILES,
  TEMPLATE_TRANSFORM_FILES,
} from "./transforms.ts";
import { readTransform } from "./read_transforms.ts";
import type { DisplacementField } from "./displacement_field.ts";
import { CORRECTION_RULES, pipelineGeometry } from "./versions.ts";
import { axesAsRegistered, isSplAcquisition, RECENT_TEMPLATE_ORIENTATIONS } from "./spl_acquisition.ts";

/** What to open: a subject or asset by name, or the asset (and its registration) an earlier step found. */
export type CcfSpaceRequest =
  | {
    /** A subject id (its newest stitched asset) or an exact stitched asset name. */
    subject: string;
  }
  | {
    /** An asset from `selectAsset` (not looked up again). */
    asset: Asset;
    /** Its registration from {@linkcode findRegistration} (not looked up again). */
    registration?: Registration;
  };

/** Options for {@linkcode openCcfSpace}. */
export interface OpenCcfSpaceOptions extends S3Options {
  /** The bucket. @default {"aind-open-data"} */
  bucket?: string;
  /** Key prefix of the folder with the template → CCF transforms. @default {"SmartSPIM-template_2024-05-16_11-26-14"} */
  templatePrefix?: string;
  /** Keep fetched transform files (and chunks) in this directory. */
  cacheDir?: string;
  /**
   * Read the transforms: all six files (points both ways), `"pull"` for the affines and forward warps only
   * (images, and points CCF → LS), or none (`info`). @default {true}
   */
  transforms?: boolean | "pull";
  /**
   * How to read acquisitions whose axes spell "spl" (see `spl_acquisition.ts`): as recorded, like AIND's
   * `aind-zarr-utils`, or as AIND's registration code read them (every flip dropped).
   * @default {"recorded"}
   */
  splRule?: "recorded" | "as-registered";
  /** Cancels the requests. */
  signal?: AbortSignal;
  /** One line per step. */
  log?: (line: string) => void;
}

/** The keys of {@linkcode OpenCcfSpaceOptions}, checked at run time. */
export const OPEN_CCF_SPACE_OPTION_KEYS: OptionKeys<OpenCcfSpaceOptions> = {
  ...S3_OPTION_KEYS,
  bucket: true,
  templatePrefix: true,
  cacheDir: true,
  transforms: true,
  splRule: true,
  signal: true,
  log: true,
};

/** One transform file used. */
export interface TransformFile {
  /** What it is for, e.g. `ls affine (inverted for points LS → CCF)`. */
  role: string;
  /** Which of {@linkcode CcfTransforms} it is. */
  transform: keyof CcfTransforms;
  /** Its `s3://` URI. */
  uri: string;
}

/** A registered asset's CCF space. */
export interface CcfSpace {
  /** The stitched asset. */
  asset: Asset;
  /** Its registration. */
  registration: Registration;
  /** The acquisition metadata (axes). */
  acquisition: AcquisitionRecord;
  /** The registered channel. */
  channel: Channel;
  /** The registered channel's image (every channel shares its grid); close with {@linkcode CcfSpace.close}. */
  image: OmeZarrImage;
  /** The level-0 geometry in pipeline LS space: what the transforms expect. */
  geometry: ImageGeometry;
  /** Level-0 sizes (x, y, z). */
  size: [number, number, number];
  /** Ids of the version corrections applied (see `CORRECTION_RULES`). */
  corrections: string[];
  /** Warnings from the corrections (e.g. a version newer than verified). */
  warnings: string[];
  /** The transforms, unless opened with `transforms: false`. */
  transforms: CcfTransforms | undefined;
  /** The transform files, in the order of the point chain LS → CCF. */
  files: TransformFile[];
  /** Closes the image's connections. */
  close(): void;
}

/**
 * Opens a registered asset's CCF space.
 *
 * @example
 * ```ts ignore
 * import { openCcfSpace } from "./ccf_space.ts";
 * const space = await openCcfSpace({ subject: "784354" });
 * console.log(space.registration.channel, space.corrections);
 * space.close();
 * ```
 * @param request The subject or asset.
 * @param options S3 access, the template folder, caching.
 * @returns The space; close it when done.
 * @throws {NotFoundError} If the subject, asset, channel or a transform file does not exist.
 * @throws {RegistrationError} If the asset is not registered or its capsule version is unknown.
 * @throws {RangeError} If the capsule version is not supported.
 * @throws {MetadataError} If a metadata or transform file is malformed.
 */
export async function openCcfSpace(
  request: CcfSpaceRequest,
  options: OpenCcfSpaceOptions = {},
): Promise<CcfSpace> {
  options = checkOptions(options, OPEN_CCF_SPACE_OPTION_KEYS, "openCcfSpace()");
  const log = options.log ?? (() => {});
  const asset = "asset" in request ? request.asset : await selectAsset(request.subject, options);
  log(`Selected asset: ${asset.name}`);
  const registration = ("registration" in request ? request.registration : undefined) ??
    await findRegistration(asset, options);
  log(
    `Registered channel ${registration.channel} (capsule ${registration.version}, from ${registration.channelFrom})`,
  );
  const { templatePrefix: _t, transforms: _r, splRule: _s, ...sourceOptions } = options;
  const source = await openSource({ asset, channel: registration.channel }, sourceOptions);
  try {
    const plan = planCcfSpace(source, registration, options);
    const transforms = options.transforms ?? true
      ? await readCcfTransforms(plan, { ...options, pull: options.transforms === "pull" })
      : undefined;
    if (transforms) log(`Read the transform files`);
    const { transformKeys: _k, bucket: _b, ...space } = plan;
    return { ...space, transforms, close: () => source.close() };
  } catch (error) {
    source.close();
    throw error;
  }
}

/** What {@linkcode planCcfSpace} decides before any transform is read. */
interface CcfSpacePlan extends Omit<CcfSpace, "transforms" | "close"> {
  /** The bucket the transforms are read from. */
  bucket: string;
  /** The key of each transform file. */
  transformKeys: Record<keyof CcfTransforms, string>;
}

/**
 * The pure part of opening a CCF space: the axes as read (the "spl" rule), the pipeline's LS geometry with
 * its version corrections, the warnings, and where each transform file is.
 */
function planCcfSpace(
  source: OpenedSource,
  registration: Registration,
  options: Pick<OpenCcfSpaceOptions, "bucket" | "templatePrefix" | "splRule">,
): CcfSpacePlan {
  const { asset, acquisition, channel, image } = source;
  const level0 = image.levels[0];
  const spl = isSplAcquisition(acquisition.axes);
  const asRegistered = spl && options.splRule === "as-registered";
  const axes = asRegistered
    ? axesAsRegistered(acquisition.axes, registration.templateOrientations ?? RECENT_TEMPLATE_ORIENTATIONS)
    : acquisition.axes;
  const orientation = computeOrientation(axes, { size: level0.size, spacing: level0.spacing });
  const corrected = pipelineGeometry(
    { size: level0.size, spacing: level0.spacing, direction: orientation.geometry.direction },
    registration.version,
  );
  const bucket = options.bucket ?? registration.bucket;
  const template = (options.templatePrefix ?? DEFAULT_TEMPLATE_PREFIX).replace(/\/$/, "");
  const transformKeys: Record<keyof CcfTransforms, string> = {
    lsAffine: `${registration.prefix}${LS_TRANSFORM_FILES.affine}`,
    lsInverseWarp: `${registration.prefix}${LS_TRANSFORM_FILES.inverseWarp}`,
    templateAffine: `${template}/${TEMPLATE_TRANSFORM_FILES.affine}`,
    templateInverseWarp: `${template}/${TEMPLATE_TRANSFORM_FILES.inverseWarp}`,
    lsWarp: `${registration.prefix}${LS_TRANSFORM_FILES.warp}`,
    templateWarp: `${template}/${TEMPLATE_TRANSFORM_FILES.warp}`,
  };
  const file = (role: keyof CcfTransforms, description: string): TransformFile => ({
    role: description,
    transform: role,
    uri: formatS3Uri(bucket, transformKeys[role]),
  });
  return {
    asset,
    registration,
    acquisition,
    channel,
    image,
    geometry: corrected.geometry,
    size: level0.size,
    corrections: asRegistered ? ["spl-as-registered", ...corrected.corrections] : corrected.corrections,
    warnings: spl
      ? [
        asRegistered
          ? `the acquisition's axes spell "spl": read as AIND's registration code read them (${
            axes.map((a) => a.rawDirection).join(", ")
          }), not as recorded; compare with moved_ls_to_ccf.nii.gz`
          : `the acquisition's axes spell "spl", which AIND's registration code read with every flip dropped: its ` +
            `registered space may be mirrored relative to these axes; compare with moved_ls_to_ccf.nii.gz ` +
            `(ccf --compare), or try splRule "as-registered" (--spl-as-registered)`,
        ...corrected.warnings,
      ]
      : corrected.warnings,
    files: [
      file("lsAffine", "ls affine (inverted for points LS → CCF)"),
      file("lsInverseWarp", "ls inverse warp (points LS → CCF)"),
      file("templateAffine", "template affine (inverted for points LS → CCF)"),
      file("templateInverseWarp", "template inverse warp (points LS → CCF)"),
      file("templateWarp", "template warp (points CCF → LS, images)"),
      file("lsWarp", "ls warp (points CCF → LS, images)"),
    ],
    bucket,
    transformKeys,
  };
}

/**
 * Reads a planned space's transform files, one at a time: a real warp is hundreds of MB compressed and
 * about 1 GB as float32, so reading them together would hold every compressed body at once. The first
 * failure in file order is reported. Image pulls (`pull`) need only the forward warps: the inverse ones
 * (each as large) are then not read.
 */
async function readCcfTransforms(
  plan: Pick<CcfSpacePlan, "bucket" | "transformKeys">,
  options: S3Options & { cacheDir?: string; signal?: AbortSignal; pull: boolean },
): Promise<CcfTransforms> {
  const keys = plan.transformKeys;
  const store = new S3Store(formatS3Uri(plan.bucket, ""), options);
  const origin = options.endpoint ?? `aws:${options.region ?? DEFAULT_REGION}`;
  try {
    const roles = (Object.keys(keys) as (keyof CcfTransforms)[]).filter((role) =>
      !options.pull || !role.endsWith("InverseWarp")
    );
    const values: (AffineMap | DisplacementField)[] = [];
    for (const role of roles) {
      values.push(await readTransform(store, keys[role], { origin, signal: options.signal }));
    }
    const transforms = Object.fromEntries(
      roles.map((role, i) => [role, values[i]]),
    ) as unknown as CcfTransforms;
    for (const role of ["lsAffine", "templateAffine"] as const) {
      if (!("matrix" in (transforms[role] as AffineMap))) {
        throw new TypeError(`${keys[role]} is not an affine`);
      }
    }
    for (const role of roles.filter((r) => r.endsWith("Warp"))) {
      if (!("size" in (transforms[role] as DisplacementField))) {
        throw new TypeError(`${keys[role]} is not a displacement field`);
      }
    }
    return transforms;
  } finally {
    store.close();
  }
}

/**
 * Describes the corrections applied, for printing: one line per rule.
 * @param ids Rule ids.
 * @returns Lines `id: description (versions)`.
 */
export function describeCorrections(ids: readonly string[]): string[] {
  const spl = ids.includes("spl-as-registered")
    ? ['spl-as-registered: the "spl" axes read as AIND\'s registration code read them (every flip dropped)']
    : [];
  return [
    ...spl,
    ...CORRECTION_RULES.filter((r) => ids.includes(r.id)).map((r) =>
      `${r.id}: ${r.description} (${r.versions})`
    ),
  ];
}
