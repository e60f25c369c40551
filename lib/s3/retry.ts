/**
 * The retry policy of every S3 request: which failures are worth another
 * try ({@linkcode isTransientError}), and the loop that makes them, with a
 * deadline per attempt and backoff with full jitter between attempts
 * ({@linkcode withRetries}).
 *
 * @module
 */
import { MetadataError, S3RequestError } from "../core/errors.ts";
import { htmlAnswer, type SdkError, toRequestError } from "./errors.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** What {@linkcode RetryOptions.onRetry} is told before each retry. */
export interface RetryEvent {
  /** The object or prefix requested. */
  uri: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** How long the retry waits first. */
  delayMs: number;
  /** Why the attempt failed. */
  error: Error;
}

/**
 * How requests are retried. spimfetch retries in one place
 * ({@linkcode withRetries}), so clients made by `createS3Client` have the
 * SDK's own retries turned off.
 */
export interface RetryOptions {
  /** Attempts per request, the first included; 1 turns retries off. @default {5} */
  maxAttempts?: number;
  /**
   * Backoff base: retry n waits a random time up to `retryBaseMs · 2^(n-1)`
   * ("full jitter"), capped at `retryMaxMs`. @default {200}
   */
  retryBaseMs?: number;
  /** Longest wait before a retry. @default {20000} */
  retryMaxMs?: number;
  /** Time allowed for one attempt, body included. @default {30000} */
  requestTimeoutMs?: number;
  /** Called before each retry. */
  onRetry?: (event: RetryEvent) => void;
}

/** S3 error codes that mean "try again later", whatever the status. */
const TRANSIENT_NAMES = new Set([
  "SlowDown",
  "RequestTimeout",
  "RequestTimeoutException",
  "InternalError",
  "ServiceUnavailable",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "TimeoutError",
  // A body that arrived short or damaged (see _body_checks.ts).
  "IncompleteBodyError",
]);

/** Socket errors worth another try: the network or the server may come back. */
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
]);

/**
 * Whether a failed request is worth repeating: HTTP 5xx, 429 and 408, S3's
 * throttling and timeout codes, dropped or refused connections, timeouts,
 * and bodies that arrived short or damaged. A missing key, access denied, a
 * bad request, a bucket that does not exist and a host name that does not
 * resolve are not.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { isTransientError } from "@spimfetch/spimfetch/s3";
 * assert(isTransientError({ name: "SlowDown", $metadata: { httpStatusCode: 503 } }));
 * assert(isTransientError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })));
 * assert(!isTransientError({ name: "InvalidArgument", $metadata: { httpStatusCode: 400 } }));
 * assert(!isTransientError(Object.assign(new Error("getaddrinfo ENOTFOUND x"), { code: "ENOTFOUND" })));
 * // Deno's fetch: the cause says what failed.
 * const cut = new Error("error sending request: connection closed before message completed");
 * assert(isTransientError(new TypeError("fetch failed", { cause: cut })));
 * assert(isTransientError(new TypeError("error reading a body from connection")));
 * const dns = new Error("client error (Connect): dns error: failed to lookup address information");
 * assert(!isTransientError(new TypeError("fetch failed", { cause: dns })));
 * ```
 * @param error What a request threw.
 * @returns True if the request should be tried again.
 */
export function isTransientError(error: unknown): boolean {
  const e = error as SdkError;
  if (e === null || typeof e !== "object") return false;
  const status = e.$metadata?.httpStatusCode;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  // A web page instead of S3's XML is the wrong server, not a damaged answer: asking again changes nothing.
  if (htmlAnswer(e)) return false;
  if (status !== undefined) {
    // A failure with a 2xx status happened while reading or parsing a success: the body was damaged.
    return status >= 500 || status === 429 || status === 408 || (status >= 200 && status < 300);
  }
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  // Deno's fetch (the SDK's fetch handler) names no code: its message, or its cause's, says what failed.
  const text = causeMessages(e);
  if (/dns error|failed to lookup address/i.test(text)) {
    return /temporary failure in name resolution/i.test(text);
  }
  return TRANSIENT_MESSAGES.test(text);
}

/** How dropped, refused or cut connections read in Node's and Deno's messages. */
const TRANSIENT_MESSAGES =
  /socket hang up|\baborted\b|premature close|connection reset|broken pipe|connection closed before message completed|error reading a body from connection|connection refused|timed out|network is unreachable|host is unreachable/i;

/** The messages of an error and of its causes, joined. */
function causeMessages(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: string; cause?: unknown } | undefined, i = 0; e && i < 4; i++) {
    if (typeof e.message === "string") parts.push(e.message);
    e = typeof e.cause === "object" && e.cause !== null ? e.cause as typeof e : undefined;
  }
  return parts.join(": ");
}

/** Options for {@linkcode withRetries}. */
export interface WithRetriesOptions extends RetryOptions {
  /** What is being fetched, for messages. */
  uri: string;
  /** Cancels the request and any wait between attempts. */
  signal?: AbortSignal;
  /**
   * Runs each attempt, e.g. through a {@linkcode Limiter}; an attempt's
   * deadline starts when the gate lets it through, not while it queues.
   */
  gate?: <T>(attempt: () => Promise<T>) => Promise<T>;
}

/**
 * Checks retry settings, so that a store or a listing refuses them when it
 * is made rather than at its first request.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { checkRetryOptions } from "./retry.ts";
 * checkRetryOptions({ maxAttempts: 3, retryBaseMs: 100 });
 * assertThrows(() => checkRetryOptions({ maxAttempts: 0 }), RangeError, "positive integer");
 * ```
 * @param options The settings.
 * @throws {RangeError} If `maxAttempts` is not a positive integer, a wait is negative or not finite, or
 * the timeout is not positive.
 */
export function checkRetryOptions(options: RetryOptions): void {
  const { maxAttempts = 5, retryBaseMs = 200, retryMaxMs = 20_000, requestTimeoutMs = 30_000 } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`Cannot make ${maxAttempts} attempts per request: expected a positive integer`);
  }
  for (const [name, value] of [["retryBaseMs", retryBaseMs], ["retryMaxMs", retryMaxMs]] as const) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`Cannot use ${name} ${value}: expected a finite number >= 0`);
    }
  }
  if (!(requestTimeoutMs > 0)) {
    throw new RangeError(`Cannot use requestTimeoutMs ${requestTimeoutMs}: expected a number > 0`);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(id);
      reject(signal!.reason);
    };
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The keys of {@linkcode WithRetriesOptions}, checked at run time. */
const WITH_RETRIES_OPTION_KEYS: OptionKeys<WithRetriesOptions> = {
  maxAttempts: true,
  retryBaseMs: true,
  retryMaxMs: true,
  requestTimeoutMs: true,
  onRetry: true,
  uri: true,
  signal: true,
  gate: true,
};

/**
 * Runs one S3 request with retries: each attempt gets its own deadline
 * (`requestTimeoutMs`, joined with the caller's signal through
 * `AbortSignal.any`), and a transient failure (see
 * {@linkcode isTransientError}) is retried after a random wait of up to
 * `retryBaseMs · 2^(attempt-1)` ("full jitter", which spreads retries of
 * many clients apart), at most `maxAttempts` attempts in all.
 *
 * @example Retry a flaky call
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withRetries } from "@spimfetch/spimfetch/s3";
 * let calls = 0;
 * const result = await withRetries(async () => {
 *   if (++calls < 3) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
 *   return "ok";
 * }, { uri: "s3://bucket/key", retryBaseMs: 1 });
 * assertEquals([result, calls], ["ok", 3]);
 * ```
 * @param task One attempt; it must honour the signal it is given.
 * @param options What is fetched, retry settings, cancellation and a gate.
 * @returns What the first successful attempt returned.
 * @throws {S3RequestError} For a permanent failure, or the last transient one; the message says how many attempts were made.
 * @throws {MetadataError} Passed through from the task unchanged (the answer was read, and is wrong).
 * @throws {DOMException} The caller's signal's reason, when it aborts.
 */
export async function withRetries<T>(
  task: (signal: AbortSignal) => Promise<T>,
  options: WithRetriesOptions,
): Promise<T> {
  options = checkOptions(options, WITH_RETRIES_OPTION_KEYS, "withRetries()");
  checkRetryOptions(options);
  const maxAttempts = options.maxAttempts ?? 5;
  const base = options.retryBaseMs ?? 200;
  const cap = options.retryMaxMs ?? 20_000;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const gate = options.gate ?? (<U>(attempt: () => Promise<U>) => attempt());
  for (let attempt = 1;; attempt++) {
    options.signal?.throwIfAborted();
    let error: Error;
    try {
      return await gate(() => attemptWithDeadline(task, timeoutMs, options));
    } catch (thrown) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (thrown instanceof MetadataError || !isTransientError(thrown) || attempt >= maxAttempts) {
        throw finalError(thrown, options.uri, attempt);
      }
      error = thrown as Error;
    }
    const delayMs = Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
    options.onRetry?.({ uri: options.uri, attempt, delayMs, error } satisfies RetryEvent);
    await sleep(delayMs, options.signal);
  }
}

async function attemptWithDeadline<T>(
  task: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  options: WithRetriesOptions,
): Promise<T> {
  options.signal?.throwIfAborted();
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")),
    timeoutMs,
  );
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  try {
    return await task(signal);
  } catch (error) {
    if (deadline.signal.aborted && !options.signal?.aborted) {
      throw Object.assign(new Error(`S3 did not answer within ${timeoutMs} ms`, { cause: error }), {
        name: "TimeoutError",
      });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function finalError(error: unknown, uri: string, attempts: number): Error {
  if (error instanceof MetadataError) return error;
  const wrapped = toRequestError(error, uri);
  if (attempts <= 1 || !(wrapped instanceof S3RequestError)) return wrapped;
  return new S3RequestError(`${wrapped.message} (gave up after ${attempts} attempts)`, {
    uri: wrapped.uri,
    status: wrapped.status,
    cause: error,
  });
}
