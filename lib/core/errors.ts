/**
 * Error classes that callers of spimfetch may want to catch. Mistakes in how
 * the API is called (a negative level, a bad option) throw the built-in
 * `TypeError` or `RangeError` instead.
 *
 * @module
 */

/** Options shared by the error constructors. */
export interface SpimfetchErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * A metadata document (`.zattrs`, `.zarray`, `zarr.json`, `acquisition.json`)
 * is missing, malformed, or describes something spimfetch cannot handle.
 *
 * @example Catch a metadata problem
 * ```ts
 * import { assert } from "@std/assert";
 * import { MetadataError } from "@spimfetch/spimfetch";
 * const error = new MetadataError("Unknown unit \"parsec\"", { source: "s3://b/a.zarr/.zattrs" });
 * assert(error.name === "MetadataError" && error.source === "s3://b/a.zarr/.zattrs");
 * ```
 */
export class MetadataError extends Error {
  /** Where the metadata came from: an `s3://` URI, a key or a file path. */
  readonly source: string;
  /**
   * Creates the error.
   * @param message What was wrong and what was expected.
   * @param options Where the document came from, and the cause.
   */
  constructor(message: string, options: SpimfetchErrorOptions & { source: string }) {
    super(`${message} (in ${options.source})`, { cause: options.cause });
    this.name = "MetadataError";
    this.source = options.source;
  }
}

/** What a {@linkcode NotFoundError} could not find. */
export type NotFoundKind = "subject" | "asset" | "channel" | "level" | "object" | "bucket";

/**
 * A subject, asset, channel, level or S3 object does not exist. The message
 * lists what does exist when that is known.
 *
 * @example Catch an unknown channel
 * ```ts
 * import { assert } from "@std/assert";
 * import { NotFoundError } from "@spimfetch/spimfetch";
 * const error = new NotFoundError("channel", "Ex_999_Em_999", { available: ["Ex_561_Em_593"] });
 * assert(error.message.includes("Ex_561_Em_593"));
 * ```
 */
export class NotFoundError extends Error {
  /** The kind of thing that was looked for. */
  readonly kind: NotFoundKind;
  /** The name that was looked for. */
  readonly wanted: string;
  /** The names that do exist, when known. */
  readonly available: readonly string[] | undefined;
  /**
   * Creates the error.
   * @param kind The kind of thing that was looked for.
   * @param wanted The name that was looked for.
   * @param options What exists instead, where it was looked for, and the cause.
   */
  constructor(
    kind: NotFoundKind,
    wanted: string,
    options: SpimfetchErrorOptions & { available?: readonly string[]; where?: string; detail?: string } = {},
  ) {
    const where = options.where ? ` in ${options.where}` : "";
    const detail = options.detail ? `: ${options.detail}` : "";
    const available = options.available === undefined
      ? ""
      : options.available.length === 0
      ? `: there are none`
      : `: available ${kind === "level" ? "levels" : `${kind}s`} are ${options.available.join(", ")}`;
    super(`Unknown ${kind} "${wanted}"${where}${detail}${available}`, { cause: options.cause });
    this.name = "NotFoundError";
    this.kind = kind;
    this.wanted = wanted;
    this.available = options.available;
  }
}

/**
 * A request to S3 failed for a reason other than a missing key: the endpoint
 * cannot be reached, access is denied, or the server answered with an error.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { S3RequestError } from "@spimfetch/spimfetch";
 * const error = new S3RequestError("Cannot reach http://127.0.0.1:9", { uri: "s3://b/k" });
 * assert(error.name === "S3RequestError" && error.status === undefined);
 * ```
 */
export class S3RequestError extends Error {
  /** The object or prefix requested. */
  readonly uri: string;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  /**
   * Creates the error.
   * @param message What failed.
   * @param options The URI, the HTTP status and the cause.
   */
  constructor(message: string, options: SpimfetchErrorOptions & { uri: string; status?: number }) {
    super(message, { cause: options.cause });
    this.name = "S3RequestError";
    this.uri = options.uri;
    this.status = options.status;
  }
}

/**
 * The output file exists and overwriting was not asked for.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { OutputExistsError } from "@spimfetch/spimfetch";
 * const error = new OutputExistsError("brain.nii.gz");
 * assert(error.path === "brain.nii.gz");
 * ```
 */
export class OutputExistsError extends Error {
  /** The path that exists. */
  readonly path: string;
  /**
   * Creates the error.
   * @param path The path that exists.
   */
  constructor(path: string) {
    super(`Output ${path} exists: pass force (--force) to replace it`);
    this.name = "OutputExistsError";
    this.path = path;
  }
}
