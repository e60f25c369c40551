/**
 * Exports through a misbehaving network: faults on a seeded schedule, a
 * server that goes away, interruptions (abort, SIGINT, SIGKILL) and resuming
 * from the disk cache. Every run compares files byte for byte with a clean
 * export of the same data.
 */
import { planPermissions } from "../../cli/permissions.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { DiskCache } from "../../lib/s3/disk_cache.ts";
import { S3RequestError } from "../../lib/core/errors.ts";
import { exportNifti, type ExportOptions } from "../../lib/export/export_nifti.ts";
import { type FaultProxy, type ProxyRequest, startFaultProxy } from "../../testing/fault_proxy.ts";
import { type DatasetServer, serveDataset } from "../../testing/fixture.ts";

const CHANNEL = "Ex_561_Em_593";
const REQUEST = { subject: "652506", channel: CHANNEL, level: 0 };
/** 3 × 4 × 3 = 36 chunks at level 0. */
const SPEC = {
  shape: [40, 56, 48] as [number, number, number],
  chunks: [16, 16, 16] as [number, number, number],
  levels: 2,
  channels: [CHANNEL],
};
const LEVEL0_CHUNKS = 36;
/** A chunk key of the image: `<channel>.zarr/<level>/<t>/<c>/<z>/<y>/<x>`. */
const CHUNK = /\.zarr\/\d+(\/\d+){5}$/;
/** Short waits keep the tests quick; the schedule, not the timing, decides what fails. */
const FAST: ExportOptions = { retryBaseMs: 1, retryMaxMs: 20, requestTimeoutMs: 10_000 };

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** The chunks in a disk cache, as request paths (`/<bucket>/<key>`), read from the entries' headers. */
async function cachedChunks(dir: string): Promise<Set<string>> {
  const found = new Set<string>();
  let fans: string[];
  try {
    fans = await entries(dir);
  } catch {
    return found;
  }
  for (const fan of fans) {
    for (const name of await entries(join(dir, fan))) {
      if (name.endsWith(".tmp")) continue;
      const header = await DiskCache.readHeader(join(dir, fan, name)).catch(() => undefined);
      const [, bucket, key] = header?.id.split("\n") ?? [];
      if (key && CHUNK.test(key)) found.add(`/${bucket}/${key}`);
    }
  }
  return found;
}

function chunkRequests(log: ProxyRequest[]): number {
  return log.filter((r) => CHUNK.test(r.path)).length;
}

/**
 * The chunks requested, as a set: Deno's node:http re-sends a request that
 * was cancelled on a reused connection (its answer is thrown away), so such
 * a request may show up twice, or after the run that cancelled it.
 */
function chunksRequested(log: ProxyRequest[]): Set<string> {
  return new Set(log.filter((r) => CHUNK.test(r.path)).map((r) => r.path));
}

/** Asserts that a resumed run asked for exactly the chunks the cache did not hold. */
function assertFetchedOnlyMissing(log: ProxyRequest[], cached: Set<string>, total: number): void {
  const requested = chunksRequested(log);
  assertStrictEquals(requested.size, total - cached.size, "chunks requested by the resumed run");
  for (const path of requested) assert(!cached.has(path), `${path} was cached, yet requested again`);
}

/** Polls until `ready` holds, failing after `seconds` (a bound against hangs, not a timing assertion). */
async function waitFor(what: string, ready: () => Promise<boolean>, seconds = 60): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (!(await ready())) {
    if (Date.now() > until) throw new Error(`Gave up waiting for ${what} after ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function cleanExport(fixture: DatasetServer, out: string): Promise<Uint8Array> {
  await exportNifti(REQUEST, { ...fixture.s3, out });
  return await Deno.readFile(out);
}

Deno.test("an export with 10% of requests faulted is byte-identical to a clean one", async () => {
  await using fixture = await serveDataset(SPEC);
  const dir = await Deno.makeTempDir();
  try {
    const clean = await cleanExport(fixture, `${dir}/clean.nii.gz`);
    const figures: string[] = [];
    let totalFaults = 0;
    for (const seed of [1, 2, 3]) {
      await using proxy = await startFaultProxy(fixture.server.endpoint, { seed, rate: 0.1 });
      const out = `${dir}/faulty_${seed}.nii.gz`;
      const result = await exportNifti(REQUEST, { ...FAST, endpoint: proxy.endpoint, out });
      assertEquals(await Deno.readFile(out), clean, `seed ${seed}: the file differs from a clean export`);
      const failures = proxy.faultCount - proxy.stats.faults.delay;
      // Every failure costs one retry, except dropped connections that Deno's HTTP client re-sends by itself.
      assert(result.retries <= failures, `seed ${seed}: ${result.retries} retries for ${failures} failures`);
      assert(result.retries >= failures - proxy.stats.dropped, `seed ${seed}: too few retries`);
      totalFaults += proxy.faultCount;
      figures.push(
        `seed ${seed}: ${proxy.stats.requests} requests, ${proxy.faultCount} faults ${
          JSON.stringify(proxy.stats.faults)
        }, ${result.retries} retries`,
      );
    }
    assert(totalFaults >= 10, `only ${totalFaults} faults injected`);
    console.log(figures.join("\n"));
    assertEquals((await entries(dir)).filter((n) => n.endsWith(".partial")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with the server gone for good, an export fails clearly and leaves nothing behind", async () => {
  await using fixture = await serveDataset(SPEC);
  // Listing, metadata and a few chunks get through; then the server is gone.
  await using proxy = await startFaultProxy(fixture.server.endpoint, { rate: 0, goneAfter: 20 });
  const dir = await Deno.makeTempDir();
  try {
    const error = await assertRejects(
      () =>
        exportNifti(REQUEST, { ...FAST, maxAttempts: 3, endpoint: proxy.endpoint, out: `${dir}/x.nii.gz` }),
      S3RequestError,
    );
    assertStringIncludes(error.message, "Cannot reach S3 for s3://aind-open-data/");
    assertStringIncludes(error.message, "gave up after 3 attempts");
    assert(chunkRequests(proxy.stats.log) > 0, "the failure came mid-export, after some chunks");
    assertEquals(await entries(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with force, a failed export leaves the old file as it was", async () => {
  await using fixture = await serveDataset(SPEC);
  await using proxy = await startFaultProxy(fixture.server.endpoint, { rate: 0, goneAfter: 20 });
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/brain.nii.gz`;
    const old = new TextEncoder().encode("the user's previous export");
    await Deno.writeFile(out, old);
    await assertRejects(
      () => exportNifti(REQUEST, { ...FAST, maxAttempts: 2, endpoint: proxy.endpoint, out, force: true }),
      S3RequestError,
    );
    assertEquals(await Deno.readFile(out), old);
    assertEquals(await entries(dir), ["brain.nii.gz"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A proxy that serves the first `served` chunk requests and holds the rest until released. */
async function gatedProxy(fixture: DatasetServer, served: number): Promise<FaultProxy & { open(): void }> {
  let chunks = 0;
  let gated = true;
  const proxy = await startFaultProxy(fixture.server.endpoint, {
    rate: 0,
    hold: (r) => gated && CHUNK.test(r.path) && ++chunks > served,
  });
  return Object.assign(proxy, {
    open(): void {
      gated = false;
      proxy.release();
    },
  });
}

Deno.test("an aborted export resumes from the disk cache, fetching only the missing chunks", async () => {
  await using fixture = await serveDataset(SPEC);
  const dir = await Deno.makeTempDir();
  const cacheDir = `${dir}/cache`;
  try {
    const clean = await cleanExport(fixture, `${dir}/clean.nii.gz`);
    await using proxy = await gatedProxy(fixture, 10);
    const options = { ...FAST, endpoint: proxy.endpoint, cacheDir, out: `${dir}/out/brain.nii.gz` };
    const controller = new AbortController();
    const first = exportNifti(REQUEST, { ...options, signal: controller.signal });
    await waitFor("10 chunks in the cache", async () => (await cachedChunks(cacheDir)).size >= 10);
    controller.abort(new DOMException("stopped by the test", "AbortError"));
    await assertRejects(() => first, DOMException, "stopped by the test");
    assertEquals(await entries(`${dir}/out`), [], "no output and no temporary file");
    const cached = await cachedChunks(cacheDir);
    assertStrictEquals(cached.size, 10);

    proxy.open();
    const mark = proxy.stats.log.length;
    const second = await exportNifti(REQUEST, options);
    assertEquals(await Deno.readFile(second.path), clean);
    assertFetchedOnlyMissing(proxy.stats.log.slice(mark), cached, LEVEL0_CHUNKS);

    // Everything is cached now: a third run fetches no chunk at all.
    const third = proxy.stats.log.length;
    await exportNifti(REQUEST, { ...options, force: true });
    assertStrictEquals(chunkRequests(proxy.stats.log.slice(third)), 0);
    assertEquals(await Deno.readFile(second.path), clean);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a damaged cache entry is refetched, never used", async () => {
  await using fixture = await serveDataset(SPEC);
  const dir = await Deno.makeTempDir();
  const cacheDir = `${dir}/cache`;
  try {
    const clean = await cleanExport(fixture, `${dir}/clean.nii.gz`);
    await using proxy = await startFaultProxy(fixture.server.endpoint, { rate: 0 });
    const options = { ...FAST, endpoint: proxy.endpoint, cacheDir, force: true, out: `${dir}/brain.nii.gz` };
    await exportNifti(REQUEST, options);
    // Flip one byte near the end of every chunk entry (in the content, past the header).
    let damaged = 0;
    for (const fan of await entries(cacheDir)) {
      for (const name of await entries(join(cacheDir, fan))) {
        const path = join(cacheDir, fan, name);
        const header = await DiskCache.readHeader(path);
        if (!header || !CHUNK.test(header.id.split("\n")[2])) continue;
        const bytes = await Deno.readFile(path);
        bytes[bytes.length - 1] ^= 0x01;
        await Deno.writeFile(path, bytes);
        damaged++;
      }
    }
    assertStrictEquals(damaged, LEVEL0_CHUNKS);
    const mark = proxy.stats.log.length;
    await exportNifti(REQUEST, options);
    assertStrictEquals(chunkRequests(proxy.stats.log.slice(mark)), LEVEL0_CHUNKS);
    assertEquals(await Deno.readFile(`${dir}/brain.nii.gz`), clean);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Starts `deno run cli.ts fetch ...` as a subprocess. */
function spawnCli(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../cli.ts", import.meta.url).pathname, "fetch", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

for (const signal of ["SIGINT", "SIGKILL"] as const) {
  Deno.test(`a CLI export killed by ${signal} resumes, fetching only the missing chunks`, async () => {
    await using fixture = await serveDataset(SPEC);
    const dir = await Deno.makeTempDir();
    const cacheDir = `${dir}/cache`;
    try {
      const clean = await cleanExport(fixture, `${dir}/clean.nii.gz`);
      await using proxy = await gatedProxy(fixture, 12);
      const out = `${dir}/out/brain.nii.gz`;
      const args = ["--subject", "652506", "--channel", CHANNEL, "--level", "0", "--quiet"];
      const flags = [...args, "--out", out, "--cache-dir", cacheDir, "--endpoint", proxy.endpoint];
      const child = spawnCli(flags);
      await waitFor("12 chunks in the cache", async () => (await cachedChunks(cacheDir)).size >= 12);
      child.kill(signal);
      const { code, stderr } = await child.output();
      const err = new TextDecoder().decode(stderr);
      if (signal === "SIGINT") {
        assertStrictEquals(code, 130, err);
        assertStringIncludes(err, "error: interrupted");
        assertEquals(await entries(`${dir}/out`), [], "Ctrl-C leaves no output and no temporary file");
      } else {
        // SIGKILL leaves no chance to clean up: at most the writer's temporary file, never the output.
        assert((await entries(`${dir}/out`).catch(() => [])).every((n) => n.endsWith(".partial")));
      }
      const cached = await cachedChunks(cacheDir);
      assertStrictEquals(cached.size, 12);

      proxy.open();
      const mark = proxy.stats.log.length;
      const rerun = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("../../cli.ts", import.meta.url).pathname, "fetch", ...flags],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      assertStrictEquals(rerun.code, 0, new TextDecoder().decode(rerun.stderr));
      assertFetchedOnlyMissing(proxy.stats.log.slice(mark), cached, LEVEL0_CHUNKS);
      assertEquals(await Deno.readFile(out), clean);
      // The re-run also clears what a killed writer left behind: the output and its sidecar remain.
      assertEquals(await entries(`${dir}/out`), ["brain.json", out.split("/").pop()!]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("the CLI reports retries at the end of a fetch", async () => {
  await using fixture = await serveDataset(SPEC);
  // Every chunk's first request fails once: a fixed number of retries, whatever the order.
  await using proxy = await startFaultProxy(fixture.server.endpoint, {
    plan: (r) => (CHUNK.test(r.path) && r.repeat === 0 ? "error503" : undefined),
  });
  const dir = await Deno.makeTempDir();
  try {
    const { code, stderr } = await spawnCli([
      "--subject",
      "652506",
      "--channel",
      CHANNEL,
      "--level",
      "1",
      "--quiet",
      "--out",
      `${dir}/b.nii`,
      "--endpoint",
      proxy.endpoint,
    ]).output();
    const err = new TextDecoder().decode(stderr);
    assertStrictEquals(code, 0, err);
    // Level 1 is 20 × 28 × 24 voxels: 2 × 2 × 2 chunks.
    assertStringIncludes(err, "8 retries");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the launcher's permissions let the CLI write what its arguments name, and nothing else", async () => {
  await using fixture = await serveDataset(SPEC);
  const packageDir = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
  const dir = await Deno.makeTempDir();
  const outside = await Deno.makeTempDir();
  const fetchArgs = (out: string, endpoint: string): string[] => [
    "fetch",
    "--subject",
    "652506",
    "--channel",
    CHANNEL,
    "--level",
    "1",
    "--quiet",
    "--out",
    out,
    "--cache-dir",
    `${dir}/cache`,
    "--endpoint",
    endpoint,
  ];
  // The permissions planned for `granted` args, used to run `actual` args: what the launcher would grant.
  const run = async (granted: string[], actual: string[]): Promise<{ code: number; err: string }> => {
    const flags = planPermissions({ args: granted, cwd: dir, packageDir });
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--config",
        `${packageDir}/deno.json`,
        ...flags,
        `${packageDir}/cli.ts`,
        ...actual,
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    return { code, err: new TextDecoder().decode(stderr) };
  };
  try {
    const own = fetchArgs(`${dir}/b.nii.gz`, fixture.s3.endpoint);
    const allowed = await run(own, own);
    assertStrictEquals(allowed.code, 0, allowed.err);
    assert((await entries(dir)).includes("b.nii.gz"));

    const elsewhere = await run(own, fetchArgs(`${outside}/b.nii.gz`, fixture.s3.endpoint));
    assertStrictEquals(elsewhere.code, 1);
    assertStringIncludes(elsewhere.err, `no permission to read "${outside}/b.nii.gz"`);
    assertEquals(await entries(outside), []);

    // Another loopback address is another host: not granted.
    const port = new URL(fixture.s3.endpoint).port;
    const host = await run(own, fetchArgs(`${dir}/c.nii.gz`, `http://127.0.0.2:${port}`));
    assertStrictEquals(host.code, 1);
    assertStringIncludes(host.err, `no permission to connect to "127.0.0.2:${port}"`);
    assert(!(await entries(dir)).includes("c.nii.gz"));
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});
