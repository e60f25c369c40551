/**
 * gzip on every core, as one gzip member. The input is cut into segments
 * that workers deflate independently (with ISA-L where it loads, else with
 * libdeflate built as WebAssembly, which needs no permission); each segment
 * but the last ends with a sync flush, so the segments join into one deflate
 * stream (the way pigz does it), behind one header and one CRC-32 and length.
 *
 * One member matters: fflate's `gunzipSync` and nifti-reader-js read only the
 * first member of a multi-member file and silently return a truncated volume.
 *
 * @module
 */
import zlib from "node:zlib";
import { sharedWorkerPool, type WorkerPool } from "./worker_pool.ts";
import { isalLevelFor } from "./_ffi_isal.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Where compressed bytes go, in order. */
export type ByteWriter = (bytes: Uint8Array) => Promise<void>;

/** Options for {@linkcode createParallelGzip}. */
export interface ParallelGzipOptions {
  /**
   * Compression level, 0-9, as gzip's `-1` … `-9` mean it. libdeflate runs
   * it at the same level (its level 1 beats zlib level 1's ratio on
   * SmartSPIM-like data, at twice the speed); ISA-L runs level 1 as igzip
   * level 2 (see `_ffi_isal.ts`). @default {1}
   */
  level?: number;
  /** Bytes per segment; larger segments compress a little better and cost more memory. @default {1048576} */
  segmentBytes?: number;
  /** The workers. @default {sharedWorkerPool()} */
  pool?: WorkerPool;
  /**
   * Use ISA-L's igzip where it loads (FFI for its shim's path), at the
   * level whose ratio matches zlib's (see `codecs/_ffi_isal.ts`); `false`
   * keeps libdeflate (WebAssembly). @default {true}
   */
  native?: boolean;
}

/** A streaming gzip compressor; call {@linkcode ParallelGzip.end} once after the last write. */
export interface ParallelGzip {
  /** Adds bytes; the caller may reuse `bytes` once the promise resolves. */
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes everything and writes the trailer; returns the compressed size. */
  end(): Promise<number>;
  /** Lets go of the workers without finishing (after an error); harmless after `end`. */
  abort(): void;
  /**
   * The deflate that compressed the segments so far, e.g. `"libdeflate 1.25
   * level 1 (WebAssembly)"` or `"ISA-L igzip level 2 (native)"`; several
   * joined by `" + "` if workers differed; `undefined` before the first
   * segment is done.
   */
  readonly codec: string | undefined;
}

/** A compressed segment as a worker returns it (see `_codec_worker.ts`). */
interface Segment {
  bytes: Uint8Array;
  input?: ArrayBuffer;
  codec: string;
}

// ID1 ID2 CM=deflate FLG=0 MTIME=0 (no time stamp, so equal input gives equal output) XFL=0 OS=255 (unknown).
const HEADER = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);

/** The keys of {@linkcode ParallelGzipOptions}, checked at run time. */
const PARALLEL_GZIP_OPTION_KEYS: OptionKeys<ParallelGzipOptions> = {
  level: true,
  segmentBytes: true,
  pool: true,
  native: true,
};

/**
 * Creates a parallel gzip compressor writing to `sink`.
 *
 * @example Compress and read back with node:zlib
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import zlib from "node:zlib";
 * import { createParallelGzip } from "@spimfetch/spimfetch/codecs";
 * const parts: Uint8Array[] = [];
 * const gzip = createParallelGzip(async (bytes) => void parts.push(bytes.slice()), { segmentBytes: 1000 });
 * const data = new Uint8Array(5500).map((_, i) => i % 7);
 * await gzip.write(data.subarray(0, 3000));
 * await gzip.write(data.subarray(3000));
 * await gzip.end();
 * console.log(gzip.codec); // "libdeflate 1.25 level 1 (WebAssembly)" without ISA-L
 * const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
 * parts.reduce((at, p) => (file.set(p, at), at + p.length), 0);
 * assertEquals(new Uint8Array(zlib.gunzipSync(file)), data);
 * ```
 * @param sink Receives the compressed bytes in order.
 * @param options Level, segment size and workers.
 * @returns The compressor.
 * @throws {RangeError} For a level outside 0-9 or a segment size below 1 KiB.
 */
export function createParallelGzip(sink: ByteWriter, options: ParallelGzipOptions = {}): ParallelGzip {
  options = checkOptions(options, PARALLEL_GZIP_OPTION_KEYS, "createParallelGzip()");
  const level = options.level ?? 1;
  const segmentBytes = options.segmentBytes ?? 1 << 20;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new RangeError(`Cannot use gzip level ${level}: expected an integer from 0 to 9`);
  }
  if (!(segmentBytes >= 1000)) throw new RangeError(`Cannot use gzip segments of ${segmentBytes} bytes`);
  const native = options.native === false ? undefined : isalLevelFor(level);
  const pool = options.pool ?? sharedWorkerPool();
  const release = pool.hold();
  // Enough segments in flight to keep every worker busy while the oldest is written.
  const maxInFlight = 2 * pool.size;
  const inFlight: Promise<Segment>[] = [];
  const codecs = new Set<string>();
  // Segment buffers the workers gave back, for reuse.
  const spares: ArrayBuffer[] = [];
  let segment = new Uint8Array(segmentBytes);
  let filled = 0;
  let crc = 0;
  let length = 0;
  let total = 0;
  let started = false;

  const emit = async (bytes: Uint8Array): Promise<void> => {
    await sink(bytes);
    total += bytes.length;
  };
  const dispatch = async (final: boolean): Promise<void> => {
    if (!started) {
      started = true;
      await emit(HEADER);
    }
    const bytes = segment.subarray(0, filled);
    crc = zlib.crc32(bytes, crc);
    const job = pool.run<Segment>({
      op: "deflate",
      bytes,
      level,
      final,
      native,
    }, [
      segment.buffer,
    ]);
    // A rejection is awaited in order below; this keeps it from being reported as unhandled meanwhile.
    job.catch(() => {});
    inFlight.push(job);
    const spare = spares.pop();
    segment = spare ? new Uint8Array(spare) : new Uint8Array(segmentBytes);
    filled = 0;
    while (inFlight.length > (final ? 0 : maxInFlight - 1)) {
      const done = await inFlight.shift()!;
      if (done.input?.byteLength === segmentBytes) spares.push(done.input);
      codecs.add(done.codec);
      await emit(done.bytes);
    }
  };

  return {
    async write(bytes: Uint8Array): Promise<void> {
      length += bytes.length;
      for (let from = 0; from < bytes.length;) {
        const count = Math.min(bytes.length - from, segmentBytes - filled);
        segment.set(bytes.subarray(from, from + count), filled);
        filled += count;
        from += count;
        if (filled === segmentBytes) await dispatch(false);
      }
    },
    async end(): Promise<number> {
      try {
        await dispatch(true);
      } finally {
        release();
      }
      const trailer = new Uint8Array(8);
      const view = new DataView(trailer.buffer);
      view.setUint32(0, crc >>> 0, true);
      // ISIZE is the length modulo 2^32, as RFC 1952 says.
      view.setUint32(4, length % 2 ** 32, true);
      await emit(trailer);
      return total;
    },
    abort: release,
    get codec(): string | undefined {
      return codecs.size ? [...codecs].join(" + ") : undefined;
    },
  };
}
