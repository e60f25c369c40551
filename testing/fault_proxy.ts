/**
 * An HTTP/1.1 proxy on loopback that stands in front of the test S3 server
 * and misbehaves on a seeded schedule: it answers 500 and 503 (with S3's XML
 * error bodies), drops connections, truncates bodies (a `Content-Length`
 * larger than what it sends), delays or stalls answers, and can go away for
 * good. Everything else is forwarded byte for byte.
 *
 * The schedule depends only on the seed, the request (method and path) and
 * how many times that request was seen before, not on the order in which
 * concurrent requests arrive: the same run faults the same requests.
 *
 * It speaks raw HTTP over TCP because a lying `Content-Length` and a dropped
 * connection cannot be produced through `Deno.serve`.
 *
 * @module
 */

/**
 * What the proxy can do to a request instead of forwarding it faithfully:
 *
 * - `error500`, `error503`: S3's `InternalError` and `SlowDown` answers;
 * - `reset`: the connection is closed without an answer;
 * - `truncate`: the full `Content-Length`, half the body, then a closed connection;
 * - `corrupt`: one byte of an object's body flipped (answers without an ETag are reset instead,
 *   since nothing could detect the change);
 * - `delay`: the answer comes late but intact (not a failure);
 * - `stall`: no answer at all until the client gives up (or `stallMs`).
 */
export type FaultKind = "error500" | "error503" | "reset" | "truncate" | "corrupt" | "delay" | "stall";

/** Every {@linkcode FaultKind}. */
export const FAULT_KINDS: readonly FaultKind[] = [
  "error500",
  "error503",
  "reset",
  "truncate",
  "corrupt",
  "delay",
  "stall",
];

/** A request as the proxy saw it. */
export interface ProxyRequest {
  /** Sequence number, from 0, in arrival order. */
  seq: number;
  /** HTTP method. */
  method: string;
  /** Path and query as sent, e.g. `/aind-open-data/a.zarr/0/0/0/0/0/0?x-id=GetObject`. */
  target: string;
  /** The path without the query. */
  path: string;
  /** How many times this method and target were seen before (0 the first time). */
  repeat: number;
  /** Which client connection it came on, numbered from 0 in order of acceptance. */
  connection: number;
  /** Milliseconds since the proxy started. */
  at: number;
  /** The fault applied, if any. */
  fault: FaultKind | undefined;
}

/** Options for {@linkcode startFaultProxy}. */
export interface FaultProxyOptions {
  /** Seed of the schedule. @default {1} */
  seed?: number;
  /** Fraction of requests faulted, 0 to 1. @default {0.1} */
  rate?: number;
  /** The faults drawn from, uniformly. @default {every kind but "stall"} */
  kinds?: readonly FaultKind[];
  /** Which requests may be faulted. @default {all} */
  faultable?: (request: { method: string; path: string }) => boolean;
  /**
   * Decides each request's fault instead of the seeded draw, e.g. "stall the
   * first attempt only": `(r) => r.repeat === 0 ? "stall" : undefined`.
   */
  plan?: (request: { method: string; target: string; path: string; repeat: number }) => FaultKind | undefined;
  /** How long a `delay` fault waits before forwarding. @default {30} */
  delayMs?: number;
  /** How long a `stall` fault holds the request without answering; the client is expected to give up first. @default {10000} */
  stallMs?: number;
  /** After this many requests, the proxy goes away for good (as {@linkcode FaultProxy.goDown}). */
  goneAfter?: number;
  /**
   * Holds a request (no answer) until {@linkcode FaultProxy.release} or the
   * client hangs up: a way to stop an export at a known point.
   */
  hold?: (request: ProxyRequest) => boolean;
}

/** Counters of a {@linkcode FaultProxy}. */
export interface FaultProxyStats {
  /** Requests received. */
  requests: number;
  /** Requests answered with the server's own answer (delayed ones included). */
  forwarded: number;
  /**
   * Connections closed without any answer: `reset` faults, and `truncate` or
   * `corrupt` faults that had nothing to cut or flip. An HTTP client may
   * re-send such a request by itself when the connection was a reused one,
   * so these need not show up as the client's retries.
   */
  dropped: number;
  /** Faults applied, by kind. */
  faults: Record<FaultKind, number>;
  /** Every request, in arrival order. */
  log: ProxyRequest[];
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: use it as the S3 endpoint. */
  endpoint: string;
  /** Counters, updated live. */
  stats: FaultProxyStats;
  /** Total faults applied. */
  readonly faultCount: number;
  /** Stops accepting connections and drops open ones: the server is gone for good. */
  goDown(): void;
  /** Lets held requests through. */
  release(): void;
  /** Stops the proxy and waits for its connections to end. */
  close(): Promise<void>;
  /** Calls {@linkcode FaultProxy.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A seeded 32-bit PRNG (mulberry32): deterministic, fast, good enough for schedules.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { mulberry32 } from "./fault_proxy.ts";
 * const a = mulberry32(7), b = mulberry32(7);
 * assertEquals([a(), a()], [b(), b()]);
 * ```
 * @param seed Any integer.
 * @returns A function giving numbers in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over a string: turns a request into a seed. */
function hashString(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLFCRLF = encoder.encode("\r\n\r\n");

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Buffered reads from a connection, with at most one read in flight (so waiting for EOF loses nothing). */
class ConnReader {
  buffer: Uint8Array = new Uint8Array(0);
  eof = false;
  #conn: Deno.Conn;
  #pending: Promise<boolean> | undefined;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Reads more; false at end of stream or on error. */
  fill(): Promise<boolean> {
    this.#pending ??= (async () => {
      const chunk = new Uint8Array(64 * 1024);
      let n: number | null = null;
      try {
        n = await this.#conn.read(chunk);
      } catch {
        n = null;
      }
      this.#pending = undefined;
      if (n === null) {
        this.eof = true;
        return false;
      }
      this.buffer = concat([this.buffer, chunk.subarray(0, n)]);
      return true;
    })();
    return this.#pending;
  }

  /** Resolves when the peer has closed its end. */
  async untilClosed(): Promise<void> {
    while (!this.eof) await this.fill();
  }

  take(n: number): Uint8Array {
    const out = this.buffer.slice(0, n);
    this.buffer = this.buffer.slice(n);
    return out;
  }
}

interface ParsedHead {
  startLine: string;
  headers: [string, string][];
}

function parseHead(bytes: Uint8Array): ParsedHead {
  const lines = decoder.decode(bytes).split("\r\n");
  const headers = lines.slice(1).filter((l) => l !== "").map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
  });
  return { startLine: lines[0], headers };
}

function header(head: ParsedHead, name: string): string | undefined {
  return head.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** Reads one HTTP message head (and, for requests, a Content-Length body). */
async function readHead(reader: ConnReader): Promise<ParsedHead | undefined> {
  for (;;) {
    const end = indexOf(reader.buffer, CRLFCRLF);
    if (end >= 0) return parseHead(reader.take(end + 4).subarray(0, end));
    if (!(await reader.fill())) return undefined;
  }
}

async function readExactly(reader: ConnReader, n: number): Promise<Uint8Array | undefined> {
  while (reader.buffer.length < n) if (!(await reader.fill())) return undefined;
  return reader.take(n);
}

function dechunk(body: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = indexOf(body, encoder.encode("\r\n"), offset);
    if (lineEnd < 0) break;
    const size = parseInt(decoder.decode(body.subarray(offset, lineEnd)).split(";")[0], 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return concat(parts);
}

interface UpstreamResponse {
  head: ParsedHead;
  body: Uint8Array;
}

async function forward(
  upstream: { hostname: string; port: number },
  request: ParsedHead,
  body: Uint8Array,
): Promise<UpstreamResponse> {
  const conn = await Deno.connect({ hostname: upstream.hostname, port: upstream.port });
  try {
    const headers = request.headers.filter(([k]) => !["connection", "keep-alive"].includes(k.toLowerCase()));
    const head = [request.startLine, ...headers.map(([k, v]) => `${k}: ${v}`), "Connection: close", "", ""]
      .join("\r\n");
    await writeAll(conn, concat([encoder.encode(head), body]));
    const reader = new ConnReader(conn);
    const responseHead = await readHead(reader);
    if (!responseHead) throw new Error("upstream closed the connection without answering");
    await reader.untilClosed();
    const chunked = header(responseHead, "transfer-encoding")?.toLowerCase().includes("chunked");
    return { head: responseHead, body: chunked ? dechunk(reader.buffer) : reader.buffer };
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed by the peer.
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

function responseBytes(
  status: string,
  headers: [string, string][],
  body: Uint8Array,
  options: { contentLength?: number; head?: boolean } = {},
): Uint8Array {
  const kept = headers.filter(([k]) =>
    !["connection", "keep-alive", "transfer-encoding", "content-length"].includes(k.toLowerCase())
  );
  const lines = [
    status,
    ...kept.map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${options.contentLength ?? body.length}`,
    "Connection: keep-alive",
    "",
    "",
  ];
  return concat([encoder.encode(lines.join("\r\n")), options.head ? new Uint8Array(0) : body]);
}

function s3Error(status: 500 | 503, requestId: string): Uint8Array {
  const [code, message, reason] = status === 500
    ? ["InternalError", "We encountered an internal error. Please try again.", "Internal Server Error"]
    : ["SlowDown", "Please reduce your request rate.", "Service Unavailable"];
  const body = encoder.encode(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
      `<RequestId>${requestId}</RequestId></Error>`,
  );
  return responseBytes(`HTTP/1.1 ${status} ${reason}`, [["Content-Type", "application/xml"]], body);
}

/**
 * Starts a fault-injecting proxy in front of `target`.
 *
 * @example Fault every request with a 503, then go away
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { startFaultProxy } from "./fault_proxy.ts";
 * await using upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("ok"));
 * await using proxy = await startFaultProxy(`http://127.0.0.1:${upstream.addr.port}`, { rate: 1, kinds: ["error503"] });
 * const response = await fetch(`${proxy.endpoint}/bucket/key`);
 * assertEquals([response.status, (await response.text()).includes("SlowDown")], [503, true]);
 * assertEquals(proxy.stats.faults.error503, 1);
 * ```
 * @param target The server's `http://host:port`.
 * @param options Seed, rate, kinds of faults, and when to go away.
 * @returns The running proxy.
 * @throws {TypeError} If `target` is not an `http://` URL or `rate` is outside 0-1.
 */
export function startFaultProxy(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const url = new URL(target);
  if (url.protocol !== "http:") throw new TypeError(`Cannot proxy ${target}: expected an http:// URL`);
  const rate = options.rate ?? 0.1;
  if (!(rate >= 0 && rate <= 1)) {
    throw new TypeError(`Cannot fault a fraction ${rate} of requests: expected 0 to 1`);
  }
  const upstream = { hostname: url.hostname, port: Number(url.port || 80) };
  const seed = options.seed ?? 1;
  const kinds = options.kinds ?? FAULT_KINDS.filter((k) => k !== "stall");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const timers = new Map<ReturnType<typeof setTimeout>, () => void>();
  const seen = new Map<string, number>();
  const started = performance.now();
  let connections = 0;
  const stats: FaultProxyStats = {
    requests: 0,
    forwarded: 0,
    dropped: 0,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    log: [],
  };
  let down = false;
  let releaseHeld: () => void = () => {};
  let held = new Promise<void>((resolve) => (releaseHeld = resolve));
  let closed = false;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const id = setTimeout(() => {
        timers.delete(id);
        resolve();
      }, ms);
      timers.set(id, resolve);
    });

  const goDown = (): void => {
    if (down) return;
    down = true;
    try {
      listener.close();
    } catch {
      // Already closed.
    }
    for (const conn of conns) closeConn(conn);
    releaseHeld();
  };

  const closeConn = (conn: Deno.Conn): void => {
    conns.delete(conn);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };

  const schedule = (method: string, target: string, path: string, connection: number): ProxyRequest => {
    const id = `${method} ${target}`;
    const repeat = seen.get(id) ?? 0;
    seen.set(id, repeat + 1);
    let fault: FaultKind | undefined;
    if (options.plan) {
      fault = options.plan({ method, target, path, repeat });
    } else {
      const random = mulberry32(hashString(`${id}#${repeat}`, seed));
      const faulted = (options.faultable?.({ method, path }) ?? true) && random() < rate;
      fault = faulted ? kinds[Math.floor(random() * kinds.length)] : undefined;
    }
    const at = Math.round(performance.now() - started);
    const request: ProxyRequest = {
      seq: stats.requests++,
      method,
      target,
      path,
      repeat,
      connection,
      at,
      fault,
    };
    stats.log.push(request);
    if (fault) stats.faults[fault]++;
    return request;
  };

  const handle = async (conn: Deno.Conn, connection: number): Promise<void> => {
    const reader = new ConnReader(conn);
    try {
      while (!down) {
        const head = await readHead(reader);
        if (!head) return;
        const body = await readExactly(reader, Number(header(head, "content-length") ?? 0));
        if (!body || down) return;
        const [method, target] = head.startLine.split(" ");
        const request = schedule(method, target, target.split("?")[0], connection);
        if (options.goneAfter !== undefined && request.seq >= options.goneAfter) {
          goDown();
          return;
        }
        if (options.hold?.(request)) {
          await Promise.race([held, reader.untilClosed()]);
          if (down || reader.eof) return;
        }
        switch (request.fault) {
          case "error500":
          case "error503":
            await writeAll(conn, s3Error(request.fault === "error500" ? 500 : 503, `fault-${request.seq}`));
            continue;
          case "reset":
            stats.dropped++;
            return;
          case "stall":
            await Promise.race([sleep(options.stallMs ?? 10_000), reader.untilClosed()]);
            return;
          case "delay":
            await sleep(options.delayMs ?? 30);
            break;
        }
        const response = await forward(upstream, head, body);
        const isHead = method === "HEAD";
        if (request.fault === "truncate" && !isHead && response.body.length >= 2) {
          // The promised length, half the bytes, then a closed connection.
          await writeAll(
            conn,
            responseBytes(
              response.head.startLine,
              response.head.headers,
              response.body.subarray(0, response.body.length >> 1),
              {
                contentLength: response.body.length,
              },
            ),
          );
          return;
        }
        const status = Number(response.head.startLine.split(" ")[1]);
        if (
          request.fault === "corrupt" && !isHead && status === 200 && header(response.head, "etag") &&
          response.body.length > 0
        ) {
          const body = response.body.slice();
          body[body.length >> 1] ^= 0xff;
          await writeAll(conn, responseBytes(response.head.startLine, response.head.headers, body));
          continue;
        }
        if (request.fault === "truncate" || request.fault === "corrupt") {
          // Nothing to cut or flip that a client could notice: drop the connection, so the fault still happens.
          stats.dropped++;
          return;
        }
        stats.forwarded++;
        const contentLength = isHead ? Number(header(response.head, "content-length") ?? 0) : undefined;
        await writeAll(
          conn,
          responseBytes(response.head.startLine, response.head.headers, response.body, {
            contentLength,
            head: isHead,
          }),
        );
        if (header(head, "connection")?.toLowerCase() === "close") return;
      }
    } catch {
      // The client went away mid-answer: nothing to report.
    } finally {
      closeConn(conn);
    }
  };

  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      if (down) {
        closeConn(conn);
        continue;
      }
      conns.add(conn);
      const task = handle(conn, connections++).finally(() => handlers.delete(task));
      handlers.add(task);
    }
  })();

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    goDown();
    // Cut waits short rather than leave timers behind (tests check for leaked ops).
    for (const [id, resolve] of timers) {
      clearTimeout(id);
      resolve();
    }
    timers.clear();
    await accepting;
    await Promise.all([...handlers]);
  };

  return Promise.resolve({
    endpoint: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    stats,
    get faultCount(): number {
      return Object.values(stats.faults).reduce((a, b) => a + b, 0);
    },
    goDown,
    release(): void {
      releaseHeld();
      held = Promise.resolve();
    },
    close,
    [Symbol.asyncDispose]: close,
  });
}
