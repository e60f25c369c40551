/**
 * Bad input and bad luck leave the user's files as they were: an existing output is refused before any
 * request; too little disk for the reorientation's temporary file or the OME-Zarr writer's rows is refused
 * before any voxel is fetched; a disk that fills up mid-write leaves the previous output (a file or an
 * OME-Zarr store) untouched and no temporary file; Ctrl-C (SIGINT) and SIGTERM leave nothing behind.
 *
 * @module
 */
import { assert, assertEquals, assertNotEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { exportNifti } from "../../lib/export/export_nifti.ts";
import { DiskSpaceError } from "../../lib/core/temp_space.ts";
import { OutputExistsError } from "../../lib/core/errors.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { startFaultProxy } from "../../testing/fault_proxy.ts";
import { listDir, runCli } from "../../testing/run_cli.ts";

const CHANNEL = "Ex_561_Em_593";
const SPEC = {
  shape: [40, 56, 48] as [number, number, number],
  chunks: [16, 16, 16] as [number, number, number],
  levels: 3,
  channels: [CHANNEL],
};
// Level 0 of SPEC in uint16: the reorientation's temporary file and an uncompressed output are this big.
const LEVEL0_BYTES = 40 * 56 * 48 * 2;
const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** Mounts a tmpfs of `bytes` (as root); `undefined` where mounting is not permitted. */
async function tinyDisk(bytes: number): Promise<(AsyncDisposable & { dir: string }) | undefined> {
  const dir = await Deno.makeTempDir();
  const mounted = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir],
    stdout: "null",
    stderr: "null",
  }).output().then((o) => o.success, () => false);
  if (!mounted) {
    await Deno.remove(dir);
    return undefined;
  }
  return {
    dir,
    [Symbol.asyncDispose]: async () => {
      await new Deno.Command("umount", { args: [dir] }).output();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("an existing output or sidecar is refused before any request, and kept", async () => {
  await using fixture = await serveDataset(SPEC);
  await using proxy = await startFaultProxy(fixture.server.endpoint, { rate: 0 });
  const dir = await Deno.makeTempDir();
  try {
    for (const [existing, out] of [["a.nii.gz", "a.nii.gz"], ["b.json", "b.ome.zarr"]]) {
      await Deno.writeTextFile(`${dir}/${existing}`, "mine");
      const run = await runCli([
        "fetch",
        "--subject",
        "652506",
        "--channel",
        CHANNEL,
        "--endpoint",
        proxy.endpoint,
        "--orientation",
        "PIR",
        "--out",
        `${dir}/${out}`,
      ]);
      assertNotEquals(run.code, 0);
      assertStringIncludes(run.err, existing);
      assertEquals(await Deno.readTextFile(`${dir}/${existing}`), "mine");
    }
    // The library refuses the same way, with the error callers catch.
    await assertRejects(
      () =>
        exportNifti({ subject: "652506", channel: CHANNEL }, {
          endpoint: proxy.endpoint,
          out: `${dir}/a.nii.gz`,
        }),
      OutputExistsError,
    );
    assertEquals(proxy.stats.requests, 0);
    assertEquals(await listDir(dir), ["a.nii.gz", "b.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Both need level 0 uncompressed: the reorientation's temporary file is the level, and the default 128³
// OME-Zarr chunk clipped to level 0's shape is one chunk, so the writer's one row is the whole level.
for (
  const [what, out, options, message] of [
    ["the reorientation's temporary file", "brain.nii.gz", { orientation: "PIR" }, "temporary file"],
    ["the OME-Zarr writer's rows of chunks", "brain.ome.zarr", {}, "rows of chunks"],
  ] as const
) {
  Deno.test(`too little disk for ${what} is refused before any voxel is fetched`, async () => {
    await using disk = await tinyDisk(128 * 1024);
    if (!disk) {
      return console.warn("cannot mount a tmpfs (not root?): the free-space check is not tested here");
    }
    await using fixture = await serveDataset(SPEC);
    await using proxy = await startFaultProxy(fixture.server.endpoint, { rate: 0 });
    const error = await assertRejects(
      () =>
        exportNifti({ subject: "652506", channel: CHANNEL, level: 0 }, {
          endpoint: proxy.endpoint,
          ...options,
          out: `${disk.dir}/${out}`,
        }),
      DiskSpaceError,
      message,
    );
    assertEquals((error as DiskSpaceError).needed, LEVEL0_BYTES);
    // Metadata only: no chunk of level 0 was asked for.
    assert(proxy.stats.log.every((r) => !/\.zarr\/0\/\d/.test(r.path)), "a chunk was fetched");
    assertEquals(await listDir(disk.dir), []);
  });
}

Deno.test("a disk that fills up mid-write keeps the previous output and leaves no temporary file", async () => {
  // Level 0 of 1.6 MiB: the temporary file fits (the check passes); the output's first 1 MiB piece does not.
  await using disk = await tinyDisk(2.5 * 2 ** 20);
  if (!disk) return console.warn("cannot mount a tmpfs (not root?): a full disk is not tested here");
  await using fixture = await serveDataset({ ...SPEC, shape: [80, 112, 96], chunks: [32, 32, 32] });
  await Deno.writeTextFile(`${disk.dir}/brain.nii`, "previous output");
  await Deno.writeTextFile(`${disk.dir}/brain.json`, "{}");
  await assertRejects(
    () =>
      exportNifti({ subject: "652506", channel: CHANNEL, level: 0 }, {
        ...fixture.s3,
        orientation: "PIR",
        out: `${disk.dir}/brain.nii`,
        force: true,
        // Small slabs: the output grows while the temporary file is still whole.
        maxSlabBytes: 64 * 1024,
      }),
    Error,
    "No space left on device",
  );
  assertEquals(await listDir(disk.dir), ["brain.json", "brain.nii"]);
  assertEquals(await Deno.readTextFile(`${disk.dir}/brain.nii`), "previous output");
  assertEquals(await Deno.readTextFile(`${disk.dir}/brain.json`), "{}");
});

Deno.test("a disk that fills up mid-write of an OME-Zarr store keeps the previous store and leaves no temporary file", async () => {
  // Uncompressed 16³ chunks: the rows on disk (about 0.6 MiB) pass the free-space check; the store (about
  // 2 MiB) does not fit.
  await using disk = await tinyDisk(1.5 * 2 ** 20);
  if (!disk) return console.warn("cannot mount a tmpfs (not root?): a full disk is not tested here");
  await using fixture = await serveDataset({ ...SPEC, shape: [80, 112, 96], chunks: [32, 32, 32] });
  await Deno.mkdir(`${disk.dir}/brain.ome.zarr`);
  await Deno.writeTextFile(`${disk.dir}/brain.ome.zarr/.zgroup`, "previous store");
  await Deno.writeTextFile(`${disk.dir}/brain.json`, "{}");
  await assertRejects(
    () =>
      exportNifti({ subject: "652506", channel: CHANNEL, level: 0 }, {
        ...fixture.s3,
        out: `${disk.dir}/brain.ome.zarr`,
        omeZarr: { codec: "none", chunkShape: [16, 16, 16] },
        force: true,
      }),
    Error,
    "No space left on device",
  );
  assertEquals(await listDir(disk.dir), ["brain.json", "brain.ome.zarr"]);
  assertEquals(await listDir(`${disk.dir}/brain.ome.zarr`), [".zgroup"]);
  assertEquals(await Deno.readTextFile(`${disk.dir}/brain.ome.zarr/.zgroup`), "previous store");
  assertEquals(await Deno.readTextFile(`${disk.dir}/brain.json`), "{}");
});

for (
  const [signal, out, what] of [
    ["SIGINT", "brain.nii.gz", "a reoriented export"],
    ["SIGTERM", "brain.nii.gz", "a reoriented export"],
    ["SIGINT", "brain.ome.zarr", "a reoriented OME-Zarr export"],
  ] as const
) {
  Deno.test(`${signal} during ${what} leaves nothing behind`, async () => {
    await using fixture = await serveDataset(SPEC);
    // Chunks of level 0 are held: the export waits, mid-way, with its temporary files open.
    await using proxy = await startFaultProxy(fixture.server.endpoint, {
      rate: 0,
      hold: (r) => /\.zarr\/0\/\d/.test(r.path),
    });
    const dir = await Deno.makeTempDir();
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          CLI,
          "fetch",
          "--subject",
          "652506",
          "--channel",
          CHANNEL,
          "--level",
          "0",
          "--endpoint",
          proxy.endpoint,
          "--orientation",
          "PIR",
          "--out",
          `${dir}/${out}`,
          "--quiet",
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // Wait until both the staged output and the reorientation's temporary file exist.
      for (let waited = 0; waited < 120_000; waited += 100) {
        const names = await listDir(dir);
        if (names.some((n) => n.endsWith(".scratch")) && names.some((n) => n.endsWith(".partial"))) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const before = await listDir(dir);
      assert(before.some((n) => n.endsWith(".scratch")), `no temporary file appeared: ${before}`);
      child.kill(signal);
      const status = await child.output();
      // 128 + the signal's number, as shells expect of a command a signal stopped.
      assertEquals(status.code, signal === "SIGINT" ? 130 : 143, new TextDecoder().decode(status.stderr));
      assertEquals(await listDir(dir), []);
    } finally {
      proxy.release();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
