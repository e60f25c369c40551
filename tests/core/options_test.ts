/**
 * Options checked at run time: a script without type checks that passes a misspelt or renamed option gets
 * an error naming it, never a silent default (`readLevel(source, 0, { region })` read the whole level).
 *
 * @module
 */
import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { checkOptions, forwardOptions } from "../../lib/core/options.ts";
import { exportImage, openSource, readLevel, streamLevel } from "../../mod.ts";
import { serveDataset } from "../../testing/fixture.ts";

interface Options {
  roi?: [number, number];
  signal?: AbortSignal;
}
const KEYS = { roi: true, signal: true } as const;

Deno.test("checkOptions() names an unknown key, the one meant, and the options there are", () => {
  const error = assertThrows(
    () => checkOptions({ rio: [0, 1] } as Options, KEYS, "f()"),
    TypeError,
  );
  assertEquals(error.message, 'f() has no option "rio": did you mean "roi"? (its options: roi, signal)');
  assertStringIncludes(
    assertThrows(() => checkOptions({ region: [0, 1] } as Options, KEYS, "f()", { region: "roi" }), TypeError)
      .message,
    'f() has no option "region": it is called "roi" now',
  );
  assertStringIncludes(
    assertThrows(() => checkOptions({ zzzzzz: 1 } as Options, KEYS, "f()"), TypeError).message,
    'f() has no option "zzzzzz" (its options',
  );
  assertThrows(
    () => checkOptions(3 as unknown as Options, KEYS, "f()"),
    TypeError,
    "takes an options object",
  );
  // Undefined values are what "not given" looks like when options are built from flags.
  assertEquals(checkOptions({ roi: undefined, other: undefined } as Options, KEYS, "f()").roi, undefined);
  assertEquals(checkOptions<Options>(undefined, KEYS, "f()").roi, undefined);
  // What a checked function passes on (and spreads of it) is not checked again by the next one.
  const checked = checkOptions<Options & { out?: string }>(
    { roi: [0, 1], out: "x" },
    { ...KEYS, out: true },
    "g()",
  );
  assertEquals(checkOptions({ ...checked } as Options, KEYS, "f()").roi, [0, 1]);
  assertEquals(checkOptions(forwardOptions({ roi: [2, 3], out: "y" }) as Options, KEYS, "f()").roi, [2, 3]);
});

Deno.test({
  name: "readLevel() and streamLevel() read the roi; region (its old name) and typos are errors",
  async fn(): Promise<void> {
    await using fixture = await serveDataset({
      shape: [16, 24, 20],
      chunks: [16, 16, 16],
      levels: 1,
      channels: ["Ex_561_Em_593"],
      stitched: [{ stitchedAt: "2023-01-13_19-00-54" }],
    });
    using source = await openSource({ subject: "652506", channel: "Ex_561_Em_593" }, fixture.s3);
    const roi = {
      x: [2, 7] as [number, number],
      y: [0, 3] as [number, number],
      z: [4, 6] as [number, number],
    };
    assertEquals((await readLevel(source, 0, { roi })).shape, [2, 3, 5]);
    await assertRejects(
      // deno-lint-ignore no-explicit-any
      () => readLevel(source, 0, { region: roi } as any),
      TypeError,
      'readLevel() has no option "region": it is called "roi" now',
    );
    assertThrows(
      // deno-lint-ignore no-explicit-any
      () => streamLevel(source, 0, { roi, dtpye: "float32" } as any),
      TypeError,
      'streamLevel() has no option "dtpye": did you mean "dtype"?',
    );
    await assertRejects(
      () =>
        openSource(
          { subject: "652506", channel: "Ex_561_Em_593" },
          { endpiont: fixture.s3.endpoint } as unknown as { endpoint: string },
        ),
      TypeError,
      'openSource() has no option "endpiont": did you mean "endpoint"?',
    );
    await assertRejects(
      // deno-lint-ignore no-explicit-any
      () => exportImage(source, { level: 0, out: "/nonexistent/x.nii", rio: roi } as any),
      TypeError,
      'exportImage() has no option "rio": did you mean "roi"?',
    );
  },
});
