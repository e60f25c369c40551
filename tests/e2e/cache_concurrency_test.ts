/**
 * Jobs of a cohort on one machine share `--cache-dir`: two CLI processes
 * writing the same cache at once must both produce the right output and leave
 * every entry sound.
 */
import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { join } from "node:path";
import { DiskCache } from "../../lib/s3/disk_cache.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { runCli } from "../../testing/run_cli.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const SUBJECT = "652510";
const CHANNEL = "Ex_561_Em_593";
// 4 × 6 × 5 = 120 chunks at level 0: enough requests for the two processes' writes to overlap.
const SPEC = {
  subject: SUBJECT,
  shape: [64, 96, 80] as [number, number, number],
  chunks: [16, 16, 16] as [number, number, number],
  levels: 1,
  channels: [CHANNEL],
};

async function cacheFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const shard of Deno.readDir(dir)) {
    if (!shard.isDirectory) {
      files.push(shard.name);
      continue;
    }
    for await (const entry of Deno.readDir(join(dir, shard.name))) files.push(join(shard.name, entry.name));
  }
  return files.sort();
}

Deno.test("two CLI processes sharing one --cache-dir both export correctly and leave the cache sound", async () => {
  await using fixture = await serveDataset(SPEC);
  const dir = await Deno.makeTempDir({ prefix: "spimfetch-cache-concurrency-" });
  try {
    const s3 = ["--endpoint", fixture.s3.endpoint];
    const fetchArgs = (out: string): string[] => [
      "fetch",
      "--subject",
      SUBJECT,
      "--channel",
      CHANNEL,
      "--level",
      "0",
      "--out",
      out,
      "--quiet",
      // Few chunks in flight per process: the two processes then interleave over many rounds.
      "--concurrency",
      "4",
      ...s3,
    ];
    // The reference: an export without any cache, in this process.
    const reference = await runCli(fetchArgs(`${dir}/reference.nii`));
    assertStrictEquals(reference.code, 0, reference.err);

    const cache = `${dir}/cache`;
    const runs = ["a", "b"].map((name) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CLI, ...fetchArgs(`${dir}/${name}.nii`), "--cache-dir", cache],
        stdout: "piped",
        stderr: "piped",
      }).output()
    );
    const results = await Promise.all(runs);
    for (const result of results) {
      assertStrictEquals(result.code, 0, new TextDecoder().decode(result.stderr));
    }
    const expected = await Deno.readFile(`${dir}/reference.nii`);
    assertEquals(await Deno.readFile(`${dir}/a.nii`), expected);
    assertEquals(await Deno.readFile(`${dir}/b.nii`), expected);

    // The cache: no temporary file left, and every entry verifies (length, SHA-256) and holds exactly the
    // bytes the server stores under its key.
    const files = await cacheFiles(cache);
    assert(
      files.every((f) => /^[0-9a-f]{2}\/[0-9a-f]{64}$/.test(f)),
      `unexpected files: ${files.join(", ")}`,
    );
    const reader = new DiskCache(cache);
    const keys: string[] = [];
    for (const file of files) {
      const header = await DiskCache.readHeader(join(cache, file));
      assert(header, `${file} is not a cache entry`);
      assertStrictEquals(await reader.pathOf(header.id), join(cache, file));
      const [origin, bucket, key, range] = header.id.split("\n");
      assertEquals([origin, bucket, range], [fixture.s3.endpoint, "aind-open-data", ""]);
      const content = await reader.get(header.id);
      assertEquals(content, fixture.dataset.objects.get(key), key);
      keys.push(key);
    }
    assertStrictEquals(reader.stats.rejected, 0);
    const asset = fixture.dataset.stitchedNames[0];
    const chunkKeys = [...fixture.dataset.objects.keys()]
      .filter((k) => k.startsWith(`${asset}/processed/OMEZarr/${CHANNEL}.zarr/0/`) && !k.endsWith(".zarray"));
    assertStrictEquals(chunkKeys.length, 120);
    for (const key of chunkKeys) assert(keys.includes(key), `chunk ${key} is not in the cache`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
