/**
 * A test S3 server already holding a synthetic SmartSPIM dataset.
 *
 * @module
 */
import { AIND_BUCKET } from "../lib/s3/client.ts";
import { startS3Server, type StartS3ServerOptions, type TestS3Server } from "./s3_server.ts";
import { buildSmartSpimDataset, type Dataset, type DatasetSpec } from "./smartspim_dataset.ts";

/** A server, its dataset, and the S3 options that reach it. */
export interface DatasetServer {
  /** The server. */
  server: TestS3Server;
  /** The dataset it holds, in {@linkcode AIND_BUCKET}. */
  dataset: Dataset;
  /** Options that point spimfetch at the server. */
  s3: { endpoint: string };
  /** Stops the server. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a server and uploads a dataset (and any extra objects) into `aind-open-data`.
 *
 * @param spec The dataset; see {@linkcode buildSmartSpimDataset}.
 * @param extra More objects to upload.
 * @param options Where the server listens.
 * @returns The running server.
 */
export async function serveDataset(
  spec: DatasetSpec = {},
  extra: Iterable<[string, Uint8Array]> = [],
  options: Pick<StartS3ServerOptions, "address"> = {},
): Promise<DatasetServer> {
  const dataset = await buildSmartSpimDataset(spec);
  const server = await startS3Server(options);
  try {
    await server.createBucket(AIND_BUCKET);
    await server.upload(AIND_BUCKET, [...dataset.objects, ...extra]);
  } catch (error) {
    await server.close();
    throw error;
  }
  return { server, dataset, s3: { endpoint: server.endpoint }, [Symbol.asyncDispose]: () => server.close() };
}
