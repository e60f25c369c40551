/**
 * Error translation: what the AWS SDK or the network threw, as an
 * {@linkcode S3RequestError} whose message says what was asked of whom.
 *
 * @module
 */
import { S3RequestError } from "../core/errors.ts";

/** The fields of an SDK or network failure that spimfetch reads; any thrown value may lack them. */
export interface SdkError {
  /** The S3 error code (`NoSuchKey`, `SlowDown`, ...) or the error class name. */
  name?: string;
  /** A socket error code (`ECONNRESET`, ...). */
  code?: string;
  /** What went wrong, in words. */
  message?: string;
  /** The HTTP status, when S3 answered at all. */
  $metadata?: { httpStatusCode?: number };
  /** The raw answer, which the SDK attaches when it could not parse it. */
  $response?: { headers?: Record<string, string | undefined> };
  /** The raw answer's body, which the SDK attaches when it could not parse it. */
  $responseBodyText?: string;
}

/**
 * What a server that is not S3 answered: an HTML page (a web server, a login portal, a proxy's error page)
 * instead of S3's XML, with the page's title when it has one.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { htmlAnswer } from "./errors.ts";
 * const error = { $responseBodyText: "<!DOCTYPE html><html><head><title>Welcome</title></head></html>" };
 * assertEquals(htmlAnswer(error), { title: "Welcome" });
 * assertEquals(htmlAnswer({ $responseBodyText: "<Error><Code>NoSuchKey</Code></Error>" }), undefined);
 * ```
 * @param error What the SDK threw.
 * @returns The page's title (if any), or `undefined` when the answer was not HTML.
 */
export function htmlAnswer(error: unknown): { title?: string } | undefined {
  const e = error as SdkError;
  if (e === null || typeof e !== "object") return undefined;
  const headers = e.$response?.headers ?? {};
  const type = Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? "";
  const body = typeof e.$responseBodyText === "string" ? e.$responseBodyText : "";
  if (!/^\s*text\/html\b/i.test(type) && !/^\s*(<!doctype html|<html[\s>])/i.test(body)) return undefined;
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1]?.replace(/\s+/g, " ").trim();
  return title ? { title: title.slice(0, 80) } : {};
}

/**
 * Wraps an SDK or network failure in an {@linkcode S3RequestError} whose
 * message says what was asked of whom; an abort passes through unchanged.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { toRequestError } from "./errors.ts";
 * const error = toRequestError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "s3://b/k");
 * assert(error.message.includes("s3://b/k"));
 * ```
 * @param error What the SDK threw.
 * @param uri The object or prefix requested.
 * @param signal The request's signal: when it is aborted, its reason is returned instead.
 * @returns The error to throw.
 */
export function toRequestError(error: unknown, uri: string, signal?: AbortSignal): Error {
  if (signal?.aborted) {
    return signal.reason instanceof Error ? signal.reason : new DOMException("Aborted", "AbortError");
  }
  if (error instanceof S3RequestError) return error;
  const e = error as SdkError;
  const status = e?.$metadata?.httpStatusCode;
  const code = e?.code ?? e?.name ?? "Error";
  if (e?.name === "CredentialsProviderError") {
    // The message says where the SDK looked; it never holds a key.
    return new S3RequestError(
      `Cannot sign the request for ${uri}: ${e.message} (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ` +
        `or AWS_PROFILE, or read public data anonymously)`,
      { uri, cause: error },
    );
  }
  const html = htmlAnswer(error);
  if (html) {
    return new S3RequestError(
      `The endpoint is not an S3 server: it answered an HTML page${html.title ? ` ("${html.title}")` : ""}` +
        `${status === undefined ? "" : ` with HTTP ${status}`} for ${uri}, where S3 answers XML; check the ` +
        `endpoint (an S3-compatible server such as MinIO, or none for AWS)`,
      { uri, status, cause: error },
    );
  }
  if (status === undefined) {
    // Deno's fetch says only "fetch failed"; its cause says why (refused, reset, no such host).
    const cause = (e as { cause?: { message?: unknown } })?.cause?.message;
    const why = e?.message === "fetch failed" && typeof cause === "string" ? cause : e?.message;
    return new S3RequestError(
      `Cannot reach S3 for ${uri}: ${why ?? String(error)} (${code}); check the endpoint and the network`,
      { uri, cause: error },
    );
  }
  return new S3RequestError(`S3 answered HTTP ${status} (${code}) for ${uri}: ${e?.message ?? ""}`.trim(), {
    uri,
    status,
    cause: error,
  });
}
