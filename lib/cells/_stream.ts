/**
 * Reading an S3 object a piece at a time (ranged GETs through the project's
 * store: retries, body checks, disk cache), and splitting bytes into lines
 * or XML elements without ever holding the whole file as one string.
 *
 * @module
 */
import { NotFoundError } from "../core/errors.ts";
import { formatS3Uri } from "../s3/client.ts";
import type { S3Store } from "../s3/store.ts";

/** Bytes per ranged GET: large enough to keep request overhead small, small enough to bound memory. */
export const PIECE_BYTES = 4 * 2 ** 20;

/**
 * The pieces of an object, in order, fetched one ranged GET at a time.
 * @param store A store whose root is the bucket.
 * @param key The object's key (without a leading slash).
 * @param options Piece size and cancellation.
 * @throws {NotFoundError} If the object does not exist.
 */
export async function* objectPieces(
  store: S3Store,
  key: string,
  options: { pieceBytes?: number; signal?: AbortSignal } = {},
): AsyncGenerator<Uint8Array> {
  const size = options.pieceBytes ?? PIECE_BYTES;
  for (let offset = 0;; offset += size) {
    let piece: Uint8Array | undefined;
    try {
      piece = await store.getRange(`/${key}`, { offset, length: size }, { signal: options.signal });
    } catch (error) {
      // A range that starts exactly at the end (the object is a multiple of the piece size) is refused
      // with 416 by S3; that is the end of the object, not a failure.
      const status = error as { status?: number; $metadata?: { httpStatusCode?: number } };
      if (offset > 0 && (status.status === 416 || status.$metadata?.httpStatusCode === 416)) return;
      throw error;
    }
    if (piece === undefined) {
      if (offset === 0) throw new NotFoundError("object", formatS3Uri(store.bucket, key));
      return;
    }
    if (piece.length > 0) yield piece;
    if (piece.length < size) return;
  }
}

/** Lines of a byte stream, and whether the stream ended with a newline (a complete file). */
export interface LineReader {
  /** The lines, without their `\r\n` or `\n`. */
  lines: AsyncGenerator<string>;
  /** After `lines` is done: whether the last byte was a newline (pandas always ends with one). */
  endedWithNewline(): boolean;
}

/**
 * Splits a byte stream into lines, decoding UTF-8 a piece at a time.
 * @param pieces The bytes.
 * @returns The lines and the end state.
 */
export function readLines(pieces: AsyncIterable<Uint8Array>): LineReader {
  let newline = true;
  async function* lines(): AsyncGenerator<string> {
    const decoder = new TextDecoder();
    let rest = "";
    let first = true;
    for await (const piece of pieces) {
      if (piece.length === 0) continue;
      newline = piece[piece.length - 1] === 0x0a;
      let text = rest + decoder.decode(piece, { stream: true });
      if (first) {
        text = text.replace(/^\uFEFF/, "");
        first = false;
      }
      let start = 0;
      for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
        yield text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
        start = end + 1;
      }
      rest = text.slice(start);
    }
    rest += decoder.decode();
    if (rest.length > 0) yield rest.endsWith("\r") ? rest.slice(0, -1) : rest;
  }
  return { lines: lines(), endedWithNewline: () => newline };
}
