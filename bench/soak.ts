/**
 * `deno task soak`: many exports through the fault-injecting proxy, longer
 * than the quick tests: every fault kind (stalls included, which exercise the
 * per-request timeout), resumes from the disk cache after an abort, and a
 * server that goes away. Every output is compared byte for byte with a clean
 * export; the run ends with the totals and exits non-zero if any round lost
 * or corrupted data, or failed in a way it should not have.
 *
 *     deno task soak [--rounds 24] [--seed 1] [--rate 0.15]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DiskCache } from "../lib/s3/disk_cache.ts";
import { S3RequestError } from "../lib/core/errors.ts";
import { exportNifti, type ExportOptions } from "../lib/export/export_nifti.ts";
import { FAULT_KINDS, type FaultKind, startFaultProxy } from "../testing/fault_proxy.ts";
import { serveDataset } from "../testing/fixture.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string" }, seed: { type: "string" }, rate: { type: "string" } },
});
const rounds = Number(values.rounds ?? 24);
const firstSeed = Number(values.seed ?? 1);
const rate = Number(values.rate ?? 0.15);
const CHANNEL = "Ex_561_Em_593";
const REQUEST = { subject: "652506", channel: CHANNEL, level: 0 };
const CHUNK = /\.zarr\/\d+(\/\d+){5}$/;
/** Short waits, and a timeout short enough that stalls cost seconds, not minutes. */
const RETRY: ExportOptions = { retryBaseMs: 5, retryMaxMs: 200, requestTimeoutMs: 1500 };

const equal = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names;
}

async function cachedChunks(dir: string): Promise<number> {
  let count = 0;
  for (const fan of await listDir(dir).catch(() => [])) {
    for (const name of await listDir(`${dir}/${fan}`)) {
      const header = await DiskCache.readHeader(`${dir}/${fan}/${name}`).catch(() => undefined);
      if (header && CHUNK.test(header.id.split("\n")[2])) count++;
    }
  }
  return count;
}

// 3 × 5 × 4 = 60 chunks of 32³ at level 0, about 4 MB of voxels.
await using fixture = await serveDataset({
  shape: [96, 160, 128],
  chunks: [32, 32, 32],
  levels: 2,
  channels: [CHANNEL],
});
const work = await Deno.makeTempDir({ prefix: "spimfetch-soak-" });
const totals = { requests: 0, retries: 0, identical: 0, failedCleanly: 0, problems: [] as string[] };
const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
const started = performance.now();
try {
  await exportNifti(REQUEST, { ...fixture.s3, out: `${work}/clean.nii.gz` });
  const clean = await Deno.readFile(`${work}/clean.nii.gz`);
  console.log(
    `clean export: ${clean.length} bytes; ${rounds} rounds, fault rate ${rate}, seeds from ${firstSeed}`,
  );
  for (let round = 0; round < rounds; round++) {
    const seed = firstSeed + round;
    const mode = ["faults", "faults", "resume", "gone"][round % 4];
    const dir = `${work}/round${round}`;
    await Deno.mkdir(dir);
    let controller: AbortController | undefined;
    let aborted = false;
    const cacheDir = `${dir}/cache`;
    await using proxy = await startFaultProxy(fixture.server.endpoint, {
      seed,
      rate,
      kinds: FAULT_KINDS,
      stallMs: 30_000,
      goneAfter: mode === "gone" ? 20 + (seed % 30) : undefined,
    });
    const options: ExportOptions = { ...RETRY, endpoint: proxy.endpoint, out: `${dir}/out.nii.gz` };
    let line = `round ${round} (${mode}, seed ${seed}): `;
    try {
      if (mode === "resume") {
        // Stop after some chunks are cached, then finish from the cache.
        controller = new AbortController();
        const first = exportNifti(REQUEST, { ...options, cacheDir, signal: controller.signal });
        const until = Date.now() + 120_000;
        while ((await cachedChunks(cacheDir)) < 20 && Date.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        controller.abort(new DOMException("soak abort", "AbortError"));
        aborted = await first.then(() => false, () => true);
        const cached = await cachedChunks(cacheDir);
        const mark = proxy.stats.log.length;
        const result = await exportNifti(REQUEST, { ...options, cacheDir });
        const fetched = new Set(
          proxy.stats.log.slice(mark).filter((r) => CHUNK.test(r.path)).map((r) => r.path),
        );
        line += `aborted with ${cached} chunks cached, resumed fetching ${fetched.size} chunks; `;
        if (fetched.size > 60 - cached) totals.problems.push(`round ${round}: resume fetched cached chunks`);
        totals.retries += result.retries;
      } else {
        const result = await exportNifti(REQUEST, options);
        totals.retries += result.retries;
        line += `${result.retries} retries; `;
      }
      const out = await Deno.readFile(`${dir}/out.nii.gz`);
      if (equal(out, clean)) totals.identical++;
      else totals.problems.push(`round ${round}: the output differs from the clean export`);
      if (mode === "gone") totals.problems.push(`round ${round}: succeeded although the server went away`);
      line += equal(out, clean) ? "identical" : "DIFFERENT";
    } catch (error) {
      const left = (await listDir(dir)).filter((n) => n !== "cache");
      if (mode === "gone" && error instanceof S3RequestError && left.length === 0) {
        totals.failedCleanly++;
        line += `failed cleanly: ${error.message.slice(0, 100)}...`;
      } else {
        totals.problems.push(
          `round ${round}: ${error instanceof Error ? error.message : error} (left ${left})`,
        );
        line += `PROBLEM: ${error}`;
      }
    }
    for (const kind of FAULT_KINDS) faults[kind] += proxy.stats.faults[kind];
    totals.requests += proxy.stats.requests;
    console.log(
      `${line} [${proxy.stats.requests} requests, ${proxy.faultCount} faults${aborted ? ", 1 abort" : ""}]`,
    );
  }
} finally {
  await Deno.remove(work, { recursive: true });
}
const faultCount = Object.values(faults).reduce((a, b) => a + b, 0);
console.log(
  `\n${rounds} rounds in ${
    ((performance.now() - started) / 1000).toFixed(0)
  } s: ${totals.requests} requests, ` +
    `${faultCount} faults injected ${JSON.stringify(faults)}, ${totals.retries} retries; ` +
    `${totals.identical} outputs identical to the clean export, ${totals.failedCleanly} clean failures ` +
    `(server gone), ${totals.problems.length} problems`,
);
for (const problem of totals.problems) console.log(`  ${problem}`);
if (totals.problems.length > 0) Deno.exit(1);
