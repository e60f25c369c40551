/**
 * A synthetic cohort for the workflow tests: several SmartSPIM subjects in one
 * bucket on one test S3 server, each built by `buildSmartSpimDataset`.
 *
 * @module
 */
import { AIND_BUCKET } from "../lib/s3/client.ts";
import { startS3Server, type TestS3Server } from "./s3_server.ts";
import {
  type AcquisitionAxisJson,
  buildSmartSpimDataset,
  type Dataset,
  type DatasetSpec,
} from "./smartspim_dataset.ts";

/**
 * A cyclic permutation of the seed's axes: Zarr dimension 0 is X (toward the
 * right), 1 is Z (toward inferior), 2 is Y (toward anterior). Orienting it is
 * where a transposing shortcut goes wrong.
 */
export const PERMUTED_AXES: AcquisitionAxisJson[] = [
  { name: "X", dimension: 0, direction: "Left_to_right", unit: "micrometer" },
  { name: "Z", dimension: 1, direction: "Superior_to_inferior", unit: "micrometer" },
  { name: "Y", dimension: 2, direction: "Posterior_to_anterior", unit: "micrometer" },
];

/** A cohort on a running server. */
export interface CohortServer {
  /** The server. */
  server: TestS3Server;
  /** Subject id → its dataset (in {@linkcode AIND_BUCKET}). */
  datasets: Map<string, Dataset>;
  /** Stops the server. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Builds each subject's dataset and serves them all from one bucket.
 *
 * @param specs One dataset per subject (each with its own `subject`).
 * @returns The running server and the datasets.
 * @throws {TypeError} If two specs name the same subject.
 */
export async function serveCohort(specs: readonly DatasetSpec[]): Promise<CohortServer> {
  const datasets = new Map<string, Dataset>();
  for (const spec of specs) {
    const subject = spec.subject ?? "652506";
    if (datasets.has(subject)) throw new TypeError(`Subject ${subject} is given twice`);
    datasets.set(subject, await buildSmartSpimDataset(spec));
  }
  const server = await startS3Server();
  try {
    await server.createBucket(AIND_BUCKET);
    await server.upload(AIND_BUCKET, [...datasets.values()].flatMap((d) => [...d.objects]));
  } catch (error) {
    await server.close();
    throw error;
  }
  return { server, datasets, [Symbol.asyncDispose]: () => server.close() };
}
