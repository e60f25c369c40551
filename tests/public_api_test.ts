/**
 * The public surface, snapshotted: every name each entry point of `deno.json` exports (values and types),
 * so that it changes only on purpose. After a deliberate change, print the new snapshot with
 * `UPDATE_API_SNAPSHOT=1 deno test -A tests/public_api_test.ts` and paste it below.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const config = JSON.parse(await Deno.readTextFile(`${REPO}/deno.json`)) as {
  exports: Record<string, string>;
};

/** The names a module exports, as `deno doc` sees them (types included). */
async function exportedNames(path: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", path],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(`deno doc ${path} failed: ${new TextDecoder().decode(output.stderr)}`);
  const doc = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    nodes: Record<string, { symbols: { name: string }[] }>;
  };
  return [...new Set(Object.values(doc.nodes).flatMap((node) => node.symbols.map((s) => s.name)))].sort();
}

const SNAPSHOT: Record<string, string[]> = {};

Deno.test("each entry point exports exactly the names in the snapshot", async () => {
  const actual: Record<string, string[]> = {};
  for (const [entry, path] of Object.entries(config.exports)) actual[entry] = await exportedNames(path);
  if (Deno.env.get("UPDATE_API_SNAPSHOT")) console.log(JSON.stringify(actual, null, 2));
  assertEquals(
    actual,
    SNAPSHOT,
    "the public API changed: if on purpose, update SNAPSHOT (see the module doc)",
  );
});

Deno.test("the package root stays small: about 60 names a notebook or script needs", async () => {
  const names = await exportedNames(config.exports["."]);
  assertEquals(names.length <= 75, true, `the root exports ${names.length} names`);
});
