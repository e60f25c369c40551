/**
 * Checks of a response body before it is handed on: its length against
 * `Content-Length`, a range against the range asked for, and a whole object
 * against an ETag that is its MD5 (where the transport does not already check
 * every byte: {@linkcode etagCheckedByDefault}). A body that fails throws
 * {@linkcode IncompleteBodyError}, which the retry policy treats as
 * transient: it is fetched again, never decoded.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The byte range forms zarrita asks for. */
export type RangeQuery = { offset: number; length: number } | { suffixLength: number };

/** A body that is shorter than announced or fails its checksum: retried, never decoded. */
export class IncompleteBodyError extends Error {
  /** The name the retry policy knows it by. */
  override name = "IncompleteBodyError";
}

/**
 * Checks a body's length against the `Content-Length` S3 announced.
 * @param bytes The body.
 * @param declared `Content-Length`, if S3 sent one.
 * @param uri The object, for messages.
 * @throws {IncompleteBodyError} If the lengths differ.
 */
export function checkLength(bytes: Uint8Array, declared: number | undefined, uri: string): void {
  if (declared !== undefined && bytes.byteLength !== declared) {
    throw new IncompleteBodyError(
      `S3 sent ${bytes.byteLength} of the ${declared} bytes it announced for ${uri}`,
    );
  }
}

/**
 * Checks a range body against the range asked for and `Content-Range`; a
 * server that ignored the range (no `Content-Range`) sent the whole object,
 * and the range is cut out of it.
 * @param bytes The body.
 * @param range The range asked for.
 * @param contentRange `Content-Range`, if S3 sent one.
 * @param uri The object, for messages.
 * @returns The bytes of the range.
 * @throws {IncompleteBodyError} If the body is not the range asked for.
 */
export function checkRange(
  bytes: Uint8Array,
  range: RangeQuery,
  contentRange: string | undefined,
  uri: string,
): Uint8Array {
  const match = contentRange ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange) : null;
  if (!match) {
    // A server that ignores Range sends the whole object: cut the range out of it ourselves.
    return "suffixLength" in range
      ? bytes.slice(Math.max(0, bytes.length - range.suffixLength))
      : bytes.slice(range.offset, range.offset + range.length);
  }
  const [first, last] = [Number(match[1]), Number(match[2])];
  const total = match[3] === "*" ? undefined : Number(match[3]);
  const expectedFirst = "suffixLength" in range
    ? (total === undefined ? first : Math.max(0, total - range.suffixLength))
    : range.offset;
  const expectedLength = "suffixLength" in range
    ? (total === undefined ? last - first + 1 : Math.min(range.suffixLength, total))
    : (total === undefined ? range.length : Math.min(range.length, total - range.offset));
  if (first !== expectedFirst || last - first + 1 !== expectedLength || bytes.length !== expectedLength) {
    throw new IncompleteBodyError(
      `S3 answered range ${contentRange} with ${bytes.length} bytes for ${uri}: expected ${expectedLength} bytes from ${expectedFirst}`,
    );
  }
  return bytes;
}

/**
 * Checks a whole object against its ETag when the ETag is the MD5 of the
 * content (single-part uploads, unencrypted or SSE-S3); other ETags are
 * opaque and are not checked.
 * @param bytes The body.
 * @param response The response, for its ETag and encryption headers.
 * @param uri The object, for messages.
 * @throws {IncompleteBodyError} If the MD5 differs from the ETag.
 */
export function checkEtag(
  bytes: Uint8Array,
  response: { ETag?: string; ServerSideEncryption?: string; SSECustomerAlgorithm?: string },
  uri: string,
): void {
  // Only single-part uploads stored unencrypted or with SSE-S3 have the MD5 of the content as their ETag;
  // multipart ETags end in "-<parts>", and SSE-KMS / SSE-C ETags are opaque.
  const etag = /^"?([0-9a-f]{32})"?$/i.exec(response.ETag ?? "")?.[1]?.toLowerCase();
  if (
    !etag || response.ServerSideEncryption === "aws:kms" || response.ServerSideEncryption === "aws:kms:dsse"
  ) return;
  if (response.SSECustomerAlgorithm) return;
  const md5 = createHash("md5").update(bytes).digest("hex");
  if (md5 !== etag) {
    throw new IncompleteBodyError(`The body of ${uri} does not match its ETag (MD5 ${md5}, ETag ${etag})`);
  }
}

/**
 * Whether whole objects are checked against an MD5 ETag when the caller did not say: over plain HTTP, yes;
 * over HTTPS (AWS's own endpoints are HTTPS), no, because TLS already authenticates every byte of the body
 * (an altered record fails its MAC and the connection fails), and the length check catches a body cut
 * short. The MD5 costs about as much CPU as decoding the chunks (about 1 CPU-s for the 470 MB of a
 * SmartSPIM level 3 on the benchmark machine), and over HTTPS it would buy nothing.
 *
 * @param tls Whether the client talks HTTPS, `undefined` for a caller's own client of unknown transport
 * (checked).
 * @returns Whether to compute the MD5.
 */
export function etagCheckedByDefault(tls: boolean | undefined): boolean {
  return tls !== true;
}
