import { assertEquals, assertRejects } from "@std/assert";
import { OutputExistsError } from "../../lib/core/errors.ts";
import { withAtomicDirectory } from "../../lib/write/atomic_directory.ts";

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("withAtomicDirectory() refuses an existing path before calling the writer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/out.zarr`, "a file in the way");
    let called = false;
    await assertRejects(
      () => withAtomicDirectory(`${dir}/out.zarr`, () => Promise.resolve(void (called = true))),
      OutputExistsError,
    );
    assertEquals(called, false);
    assertEquals(await Deno.readTextFile(`${dir}/out.zarr`), "a file in the way");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withAtomicDirectory() with force keeps the old output when the writer fails, replaces it when it succeeds", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/out.zarr`);
    await Deno.writeTextFile(`${dir}/out.zarr/old`, "old");
    await assertRejects(
      () =>
        withAtomicDirectory(`${dir}/out.zarr`, async (staging) => {
          await Deno.writeTextFile(`${staging}/new`, "half");
          throw new Error("disk full");
        }, { force: true }),
      Error,
      "disk full",
    );
    assertEquals(await listDir(dir), ["out.zarr"]);
    assertEquals(await listDir(`${dir}/out.zarr`), ["old"]);

    await withAtomicDirectory(`${dir}/out.zarr`, async (staging) => {
      await Deno.writeTextFile(`${staging}/new`, "whole");
    }, { force: true });
    assertEquals(await listDir(dir), ["out.zarr"]);
    assertEquals(await listDir(`${dir}/out.zarr`), ["new"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withAtomicDirectory() removes a staging folder whose writer process is gone, and no other", async () => {
  if (Deno.build.os !== "linux") return;
  const dir = await Deno.makeTempDir();
  try {
    // A process that has exited: its pid names no live process (pids are not reused this fast).
    const child = new Deno.Command("true").spawn();
    await child.status;
    const stale = `.out.zarr.${child.pid}-0123456789ab.partial`;
    const setAside = `.out.zarr.${child.pid}-0123456789ab.old`;
    const other = `.other.zarr.${child.pid}-0123456789ab.partial`;
    for (const name of [stale, setAside, other]) await Deno.mkdir(`${dir}/${name}`);
    await withAtomicDirectory(`${dir}/out.zarr`, async () => {});
    // A set-aside ".old" folder may be the only copy after a crash mid-swap: it stays.
    assertEquals(await listDir(dir), [setAside, other, "out.zarr"].sort());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
