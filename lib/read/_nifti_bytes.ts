/**
 * Bytes for the NIfTI reader: any input (a path, bytes, a stream) as uncompressed chunks, gunzipped on the
 * fly when it starts with gzip's magic, and a queue that hands out exact byte counts.
 *
 * @module
 */
import { NiftiFormatError } from "./nifti_header.ts";

/** What the NIfTI reader reads: a path, the file's bytes, or its bytes as a stream. */
export type ByteInput = string | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Bytes of a plain file given whole are handed on in pieces of this size, so that no run copies it whole. */
export const MAX_PIECE_BYTES = 4 << 20;

/** Whether bytes start with gzip's magic (0x1f 0x8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The input as an iterator of uncompressed bytes: gunzipped on the fly when it starts with gzip's magic. */
export async function plainChunks(input: ByteInput, source: string): Promise<AsyncIterator<Uint8Array>> {
  let raw: AsyncIterator<Uint8Array>;
  if (typeof input === "string") raw = (await Deno.open(input)).readable[Symbol.asyncIterator]();
  else if (input instanceof Uint8Array) raw = piecesOf(input);
  else raw = input[Symbol.asyncIterator]();
  // Peek at the first two bytes (which may come in two chunks) to tell gzip from a plain file.
  const peeked: Uint8Array[] = [];
  let have = 0;
  try {
    while (have < 2) {
      const { value, done } = await raw.next();
      if (done) break;
      peeked.push(value);
      have += value.length;
    }
  } catch (error) {
    await raw.return?.().catch(() => {});
    throw error;
  }
  const first = peeked.length === 1 ? peeked[0] : concat(peeked, have);
  const replay = replayThen(first, raw);
  if (!isGzip(first)) return replay;
  const compressed = new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(controller): Promise<void> {
      const { value, done } = await replay.next();
      if (done) controller.close();
      else controller.enqueue(value as Uint8Array<ArrayBuffer>);
    },
    async cancel(): Promise<void> {
      await replay.return(undefined);
    },
  });
  const plain = compressed.pipeThrough(new DecompressionStream("gzip"))[Symbol.asyncIterator]();
  return {
    async next(): Promise<IteratorResult<Uint8Array>> {
      try {
        return await plain.next();
      } catch (cause) {
        throw new NiftiFormatError("gzip", `cannot decompress: ${(cause as Error).message}`, {
          source,
          cause,
        });
      }
    },
    async return(): Promise<IteratorResult<Uint8Array>> {
      await plain.return?.().catch(() => {});
      // The cancel travels up the pipe asynchronously: close the source here, so that the file is closed
      // when this returns (a generator's return waits for a pending next, then runs its finally).
      await replay.return(undefined);
      return { value: undefined, done: true };
    },
  };
}

async function* piecesOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += MAX_PIECE_BYTES) yield bytes.subarray(at, at + MAX_PIECE_BYTES);
}

async function* replayThen(first: Uint8Array, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    if (first.length > 0) yield first;
    for (;;) {
      const { value, done } = await rest.next();
      if (done) return;
      yield value;
    }
  } finally {
    await rest.return?.();
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Bytes pulled from an iterator of chunks: exact counts copied out, or skipped. */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #head = 0;
  #buffered = 0;
  #done = false;
  #closed = false;

  constructor(readonly source: AsyncIterator<Uint8Array>, readonly name: string) {}

  get buffered(): number {
    return this.#buffered;
  }

  /** Pulls one more chunk; false at the end. */
  async pull(): Promise<boolean> {
    if (this.#done) return false;
    const { value, done } = await this.source.next();
    if (done) {
      this.#done = true;
      return false;
    }
    if (value.length > 0) {
      this.#chunks.push(value);
      this.#buffered += value.length;
    }
    return true;
  }

  /** `n` bytes in a new buffer (fewer only at the end). */
  async read(n: number): Promise<Uint8Array> {
    while (this.#buffered < n && await this.pull());
    const out = new Uint8Array(Math.min(n, this.#buffered));
    this.#consume(out.length, out);
    return out;
  }

  /** Drops `n` bytes; returns how many there were. */
  async skip(n: number): Promise<number> {
    while (this.#buffered < n && await this.pull());
    const dropped = Math.min(n, this.#buffered);
    this.#consume(dropped);
    return dropped;
  }

  #consume(n: number, into?: Uint8Array): void {
    let at = 0;
    while (at < n) {
      const chunk = this.#chunks[0];
      const take = Math.min(chunk.length - this.#head, n - at);
      into?.set(chunk.subarray(this.#head, this.#head + take), at);
      at += take;
      this.#head += take;
      if (this.#head === chunk.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    this.#buffered -= n;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    this.#buffered = 0;
    await this.source.return?.().catch(() => {});
  }
}
