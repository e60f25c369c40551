/**
 * Files of the template folder (the CCF average template, the SmartSPIM template), read from S3.
 *
 * @module
 */
import { NotFoundError } from "../core/errors.ts";
import { AIND_BUCKET, formatS3Uri, S3_OPTION_KEYS, type S3Options } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import { DEFAULT_TEMPLATE_PREFIX } from "./transforms.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** The keys of `readTemplateFile()`'s options, checked at run time. */
const READ_TEMPLATE_FILE_OPTION_KEYS: OptionKeys<NonNullable<Parameters<typeof readTemplateFile>[1]>> = {
  ...S3_OPTION_KEYS,
  bucket: true,
  templatePrefix: true,
  cacheDir: true,
  signal: true,
};

/**
 * Reads a file of the template folder (e.g. `ccf_average_template_25.nii.gz`).
 *
 * @example
 * ```ts ignore
 * import { readTemplateFile } from "./template.ts";
 * const bytes = await readTemplateFile("ccf_average_template_25.nii.gz");
 * ```
 * @param name The file's name in the folder.
 * @param options S3 access, bucket and the folder.
 * @returns The bytes.
 * @throws {NotFoundError} If the file does not exist.
 */
export async function readTemplateFile(
  name: string,
  options: S3Options & { bucket?: string; templatePrefix?: string; cacheDir?: string; signal?: AbortSignal } =
    {},
): Promise<Uint8Array> {
  options = checkOptions(options, READ_TEMPLATE_FILE_OPTION_KEYS, "readTemplateFile()");
  const bucket = options.bucket ?? AIND_BUCKET;
  const key = `${(options.templatePrefix ?? DEFAULT_TEMPLATE_PREFIX).replace(/\/$/, "")}/${name}`;
  const store = new S3Store(formatS3Uri(bucket, ""), options);
  try {
    const bytes = await store.get(`/${key}`, { signal: options.signal });
    if (!bytes) throw new NotFoundError("object", formatS3Uri(bucket, key));
    return bytes;
  } finally {
    store.close();
  }
}
