/**
 * A real S3-protocol server on a free loopback port, for tests and the demo:
 * `npm:s3rver` run in-process, with objects uploaded through the AWS SDK.
 *
 * @module
 */
import crypto from "node:crypto";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Limiter } from "../lib/core/limiter.ts";

// s3rver encrypts continuation tokens with DES, which Deno's node:crypto lacks:
// without this every truncated listing answers HTTP 500. The token is opaque
// to clients, so a pass-through cipher keeps the protocol intact.
function patchDesCipher(): void {
  const c = crypto as unknown as Record<string, (...args: unknown[]) => unknown> & {
    __spimfetchPatched?: boolean;
  };
  if (c.__spimfetchPatched) return;
  const passthrough = (): unknown => ({
    update: (data: string | Uint8Array, encoding?: BufferEncoding) =>
      typeof data === "string" ? Buffer.from(data, encoding ?? "utf8") : Buffer.from(data),
    final: () => Buffer.alloc(0),
  });
  const createCipheriv = c.createCipheriv;
  const createDecipheriv = c.createDecipheriv;
  c.createCipheriv = (algorithm, ...rest) =>
    algorithm === "des" ? passthrough() : createCipheriv(algorithm, ...rest);
  c.createDecipheriv = (algorithm, ...rest) =>
    algorithm === "des" ? passthrough() : createDecipheriv(algorithm, ...rest);
  c.__spimfetchPatched = true;
}

/** A running test server. */
export interface TestS3Server {
  /** `http://<address>:<port>`. */
  endpoint: string;
  /** A signed client for setting up data (the code under test should make its own). */
  admin: S3Client;
  /** Creates a bucket. */
  createBucket(bucket: string): Promise<void>;
  /** Uploads objects (key → bytes) into a bucket, several at a time. */
  upload(bucket: string, objects: Iterable<[string, Uint8Array]>): Promise<number>;
  /** Stops the server and removes its files. */
  close(): Promise<void>;
  /** Calls {@linkcode TestS3Server.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options for {@linkcode startS3Server}. */
export interface StartS3ServerOptions {
  /** A port, or 0 for a free one. @default {0} */
  port?: number;
  /** Where s3rver keeps objects. @default {a new temporary directory, removed on close} */
  directory?: string;
  /** The loopback address to listen on (any of 127.0.0.0/8 works on Linux). @default {"127.0.0.1"} */
  address?: string;
}

/**
 * Starts s3rver on a loopback address (127.0.0.1 by default).
 *
 * @example
 * ```ts ignore
 * await using server = await startS3Server();
 * await server.createBucket("aind-open-data");
 * ```
 * @param options Port and storage directory.
 * @returns The server.
 */
export async function startS3Server(options: StartS3ServerOptions = {}): Promise<TestS3Server> {
  patchDesCipher();
  const { default: S3rver } = await import("s3rver");
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? await Deno.makeTempDir({ prefix: "spimfetch-s3rver-" });
  const address = options.address ?? "127.0.0.1";
  const server = new S3rver({ port: options.port ?? 0, address, silent: true, directory });
  const { port } = await server.run();
  const endpoint = `http://${address}:${port}`;
  const admin = new S3Client({
    region: "us-west-2",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const close = async (): Promise<void> => {
    admin.destroy();
    await server.close();
    if (ownDirectory) await Deno.remove(directory, { recursive: true }).catch(() => {});
  };
  return {
    endpoint,
    admin,
    async createBucket(bucket: string): Promise<void> {
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    async upload(bucket: string, objects: Iterable<[string, Uint8Array]>): Promise<number> {
      const limiter = new Limiter(8);
      const puts: Promise<unknown>[] = [];
      for (const [key, body] of objects) {
        puts.push(
          limiter.run(() => admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))),
        );
      }
      await Promise.all(puts);
      return puts.length;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
