/**
 * The command line's messages for mistakes: one plain line with a "did you mean" where a name is close,
 * never `parseArgs`'s wording for programmers; `info --channel`; `--spacing` in µm by mistake; an output's
 * missing folder said on stderr.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { parseFlags } from "../../cli/flags.ts";
import { spacingArg, UsageError } from "../../cli/args.ts";
import { closestName } from "../../lib/core/did_you_mean.ts";
import { runCli } from "../../testing/run_cli.ts";
import { serveDataset } from "../../testing/fixture.ts";

const FLAGS = {
  level: { type: "string" },
  out: { type: "string" },
  channel: { type: "string" },
  force: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The message `parseFlags` throws for these arguments. */
function mistake(args: string[], allowPositionals = false): string {
  const error = assertThrows(() => parseFlags("fetch", args, FLAGS, allowPositionals), UsageError);
  return error.message;
}

Deno.test("closestName() suggests a name one or two edits away (a swap counts one), and nothing farther", () => {
  assertEquals(closestName("levle", ["level", "out"]), "level");
  assertEquals(closestName("fecth", ["list", "info", "fetch"]), "fetch");
  assertEquals(closestName("chanel", ["channel", "level"]), "channel");
  assertEquals(closestName("LEVEL", ["level"]), "level");
  // Short names get one edit: "ot" → "out" is one insertion, "xy" is two from "out".
  assertEquals(closestName("ot", ["out"]), "out");
  assertEquals(closestName("xy", ["out"]), undefined);
  assertEquals(closestName("subjectid", ["level", "out"]), undefined);
});

Deno.test("parseFlags() says what is wrong in one line, with did-you-mean, and no parseArgs wording", () => {
  const cases: [string[], string][] = [
    [["--levle", "3"], "unknown option --levle for fetch: did you mean --level?"],
    [["--zzz"], "unknown option --zzz for fetch"],
    [["--level", "--out", "x.nii"], "--level needs a value, got the option --out instead"],
    [["--level"], "--level needs a value"],
    [["--force=yes"], "--force is a switch and takes no value"],
    [["652506"], 'fetch takes flags only, got "652506"'],
  ];
  for (const [args, expected] of cases) {
    const message = mistake(args);
    assert(message.startsWith(expected), `${args.join(" ")}: ${message}`);
    assert(!message.includes("\n"), message);
    for (
      const leak of ["positional argument starting with", "ambiguous", "Did you forget", "Unknown option '"]
    ) {
      assert(!message.includes(leak), `${args.join(" ")} leaks "${leak}": ${message}`);
    }
  }
  // The one form parseArgs's "ambiguous" message was about still works when asked for explicitly.
  assertEquals(parseFlags("fetch", ["--level=-1"], FLAGS).values.level, "-1");
});

Deno.test("the CLI suggests the command meant and names flags of the command, exiting with 2", async () => {
  const command = await runCli(["fecth", "--subject", "652506"]);
  assertEquals(command.code, 2);
  assertStringIncludes(command.err, 'unknown command "fecth": did you mean "fetch"?');
  const flag = await runCli(["fetch", "--subject", "1", "--channel", "c", "--levle", "3"]);
  assertEquals(flag.code, 2);
  assertEquals(flag.err.split("\n")[0], "error: unknown option --levle for fetch: did you mean --level?");
  const ambiguous = await runCli(["info", "652506", "--level", "--json"]);
  assertEquals(ambiguous.code, 2);
  assertStringIncludes(ambiguous.err, "--level needs a value, got the option --json instead");
});

Deno.test("spacingArg() asks whether mm were meant for a spacing of 1 or more (a size in µm)", () => {
  const error = assertThrows(() => spacingArg("25"), UsageError);
  assertStringIncludes(error.message, "did you mean --spacing 0.025 (25 µm)?");
  assertStringIncludes(
    assertThrows(() => spacingArg("10,10,25"), UsageError).message,
    "did you mean --spacing 0.01,0.01,0.025 (10 µm, 10 µm, 25 µm)?",
  );
  assertEquals(spacingArg("0.025"), 0.025);
  assertEquals(spacingArg("0.5"), 0.5);
});

Deno.test({
  name: "info --channel shows that channel's levels; fetch --out into a missing folder says it creates it",
  async fn(): Promise<void> {
    await using fixture = await serveDataset({
      shape: [16, 24, 20],
      chunks: [16, 16, 16],
      levels: 1,
      channels: ["Ex_488_Em_525", "Ex_561_Em_593"],
      stitched: [{ stitchedAt: "2023-01-13_19-00-54" }],
    });
    const endpoint = ["--endpoint", fixture.s3.endpoint];
    const second = await runCli(["info", "652506", "--channel", "Ex_561_Em_593", ...endpoint]);
    assertEquals(second.code, 0, second.err);
    assertStringIncludes(second.out, "Ex_561_Em_593.zarr:");
    const first = await runCli(["info", "652506", ...endpoint]);
    assertStringIncludes(first.out, "Ex_488_Em_525.zarr:");
    const unknown = await runCli(["info", "652506", "--channel", "Ex_999_Em_999", ...endpoint]);
    assertEquals(unknown.code, 1);
    assertStringIncludes(unknown.err, "Ex_999_Em_999");
    assertStringIncludes(unknown.err, "Ex_488_Em_525, Ex_561_Em_593");

    const dir = await Deno.makeTempDir();
    try {
      const out = `${dir}/new/deeper/brain.nii`;
      const fetched = await runCli([
        "fetch",
        "--subject",
        "652506",
        "--channel",
        "Ex_561_Em_593",
        "--level",
        "0",
        "--quiet",
        "--out",
        out,
        ...endpoint,
      ]);
      assertEquals(fetched.code, 0, fetched.err);
      assertStringIncludes(fetched.err, `Creating folder ${dir}/new/deeper for ${out}`);
      assert((await Deno.stat(out)).isFile);
      const again = await runCli([
        "fetch",
        "--subject",
        "652506",
        "--channel",
        "Ex_561_Em_593",
        "--level",
        "0",
        "--quiet",
        "--out",
        `${dir}/new/deeper/other.nii`,
        ...endpoint,
      ]);
      assertEquals(again.code, 0, again.err);
      assert(!again.err.includes("Creating folder"), again.err);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
