/**
 * The documentation is tested like code: every `ts` code block of README.md and docs/*.md is type-checked
 * and run (in its own process, in a temporary folder, against a local S3-protocol server holding a
 * synthetic SmartSPIM dataset and a registered asset, whose address it reads from `SPIMFETCH_S3_ENDPOINT` as
 * users do), none marked `ts ignore`; every relative link (and its #anchor) resolves; and
 * docs/cli.md equals what `deno task docs:cli` makes from the CLI's own --help.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI_DOCS_PATH, renderCliDocs } from "../tools/cli_docs.ts";
import { gzipSync } from "node:zlib";
import { buildCcfDataset, CCF_GRID, encodeNiftiHeader, type GridSpec } from "../testing/ccf_dataset.ts";
import { addCellFiles, atlasObjects, FAKE_ATLAS_BUCKET, SEGMENTED_ASSETS } from "../testing/cells_dataset.ts";
import { serveDataset } from "../testing/fixture.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
/** The template folder of the CCF examples, as on AWS. */
const TEMPLATE_PREFIX = "SmartSPIM-template_2024-05-16_11-26-14";

/**
 * Pages linked from the README that other branches write (the lead merges them); a link to one of them may
 * dangle until then, and is checked like any other once the page exists.
 */
const WRITTEN_ELSEWHERE = new Set(["docs/cells.md", "docs/viewer.md", "docs/cohorts.md", "docs/formats.md"]);

/** A gzipped uint8 NIfTI in the CCF (PIR, origin 0) at 100 µm: an ellipsoid, brighter towards its rim. */
function ccfBrainStandIn(): Uint8Array {
  const grid: GridSpec = { ...CCF_GRID, size: [132, 80, 114], spacing: 0.1 };
  const [nx, ny, nz] = grid.size;
  const header = encodeNiftiHeader(grid, [3, nx, ny, nz, 1, 1, 1, 1], 2, {});
  const file = new Uint8Array(header.length + nx * ny * nz);
  file.set(header);
  for (let k = 0, v = header.length; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, v++) {
        const r = ((i - nx / 2) / (nx * 0.45)) ** 2 + ((j - ny * 0.45) / (ny * 0.4)) ** 2 +
          ((k - nz / 2) / (nz * 0.42)) ** 2;
        if (r < 1) file[v] = Math.round(60 + 150 * r * r);
      }
    }
  }
  return new Uint8Array(gzipSync(file, { level: 1 }));
}

/** A fenced code block of a Markdown page. */
interface CodeBlock {
  /** The page, relative to the repository. */
  page: string;
  /** Line of the opening fence (1-based). */
  line: number;
  /** The info string: language, then flags such as `ignore`. */
  info: string[];
  /** The code. */
  code: string;
}

async function pages(): Promise<string[]> {
  const found = ["README.md"];
  for await (const entry of Deno.readDir(join(REPO, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) found.push(`docs/${entry.name}`);
  }
  return found.sort();
}

/** The fenced blocks of a page (``` fences; a longer fence closes only with one as long). */
export function codeBlocks(page: string, text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].trimStart().startsWith(fence); j++) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    }
    blocks.push({ page, line: i + 1, info: info.trim().split(/\s+/).filter(Boolean), code: body.join("\n") });
    i = j;
  }
  return blocks;
}

const TYPESCRIPT = new Set(["ts", "typescript", "js", "javascript", "tsx"]);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[`*_]/g, "").replace(/[^\p{L}\p{N} -]/gu, "").replace(
    / /g,
    "-",
  );
}

/** The anchors of a page's headings (outside code blocks). */
function anchors(text: string): Set<string> {
  const found = new Set<string>();
  let inCode = false;
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) inCode = !inCode;
    const heading = /^#{1,6}\s+(.+?)\s*#*$/.exec(line);
    if (!inCode && heading) found.add(slug(heading[1]));
  }
  return found;
}

/** Relative link targets of a page, outside code blocks and inline code. */
export function relativeLinks(text: string): string[] {
  const prose = text.replace(/^\s*(`{3,})[\s\S]*?^\s*\1\s*$/gm, "").replace(/`[^`\n]*`/g, "");
  const targets: string[] = [];
  for (const match of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1];
    if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) targets.push(target);
  }
  return targets;
}

Deno.test("codeBlocks(), slug() and relativeLinks() read Markdown as GitHub does", () => {
  const text = "# A `b`: c\n\n```ts ignore\nx\n```\n\n[d](e.md#f) ![g](h.png) [i](https://j) `[k](l)`\n";
  assertEquals(codeBlocks("p", text), [{ page: "p", line: 3, info: ["ts", "ignore"], code: "x" }]);
  assertEquals(slug("A `b`: c"), "a-b-c");
  assertEquals(relativeLinks(text), ["e.md#f", "h.png"]);
});

Deno.test("every relative link and anchor in README.md and docs/ resolves", async () => {
  const broken: string[] = [];
  const texts = new Map<string, string>();
  const read = async (path: string): Promise<string | undefined> => {
    if (!texts.has(path)) {
      texts.set(path, await Deno.readTextFile(join(REPO, path)).catch(() => undefined as unknown as string));
    }
    return texts.get(path);
  };
  for (const page of await pages()) {
    const text = (await read(page))!;
    for (const link of relativeLinks(text)) {
      const [path, anchor] = link.split("#");
      const target = path === "" ? page : relative(REPO, join(REPO, dirname(page), decodeURIComponent(path)));
      const exists = await Deno.stat(join(REPO, target)).then(() => true, () => false);
      if (!exists) {
        if (!WRITTEN_ELSEWHERE.has(target)) broken.push(`${page}: ${link} (no ${target})`);
        continue;
      }
      if (anchor && target.endsWith(".md") && !anchors((await read(target))!).has(anchor)) {
        broken.push(`${page}: ${link} (no heading #${anchor} in ${target})`);
      }
    }
  }
  assertEquals(broken, []);
});

Deno.test("docs/cli.md is what 'deno task docs:cli' makes from the CLI's --help", async () => {
  const committed = await Deno.readTextFile(join(REPO, CLI_DOCS_PATH));
  assert(
    committed === await renderCliDocs(),
    `${CLI_DOCS_PATH} and the CLI's --help disagree: run 'deno task docs:cli' and commit the page`,
  );
});

Deno.test("README.md stays a front door: at most 12 KB", async () => {
  const bytes = (await Deno.stat(join(REPO, "README.md"))).size;
  assert(bytes <= 12 * 1024, `README.md is ${bytes} bytes: move detail into docs/`);
});

Deno.test("every ts block of README.md and docs/ type-checks and runs against a local S3 server", async (t) => {
  const blocks: CodeBlock[] = [];
  for (const page of await pages()) {
    blocks.push(...codeBlocks(page, await Deno.readTextFile(join(REPO, page))));
  }
  const code = blocks.filter((b) => TYPESCRIPT.has(b.info[0]));
  const ignored = code.filter((b) => b.info.includes("ignore"));
  const runnable = code.filter((b) => !b.info.includes("ignore"));
  // Every example runs: one that cannot (it would start a browser, say) is shown as a `sh` block instead.
  assertEquals(
    ignored.map((b) => `${b.page}:${b.line}`),
    [],
    "ts blocks marked ignore: make them run here (a file the test provides, an environment variable) or show a sh block",
  );
  assert(runnable.length >= 5, `only ${runnable.length} runnable examples found`);

  // Four levels, so that the examples' level 3 exists; the subject and channels are the reference notebook's.
  // Beside it, a registered and segmented asset (subject 700002) with its cells, the template folder (with
  // the CCF average template) for the CCF and viewer examples, and the atlas bucket for the cells example.
  const segmented = SEGMENTED_ASSETS.filter((a) => a.asset.subject === "700002");
  const ccf = await buildCcfDataset({
    assets: segmented.map((a) => a.asset),
    templates: [{ prefix: TEMPLATE_PREFIX, averageTemplate: true }],
  });
  addCellFiles(ccf, { assets: segmented });
  await using fixture = await serveDataset(
    { shape: [48, 64, 56], chunks: [16, 16, 16], levels: 4 },
    ccf.objects,
  );
  await fixture.server.createBucket(FAKE_ATLAS_BUCKET);
  await fixture.server.upload(FAKE_ATLAS_BUCKET, atlasObjects());
  const pageFiles: Record<string, Record<string, Uint8Array>> = {
    // The viewer example opens what `spimfetch ccf` wrote: a brain-shaped stand-in in the CCF, at 100 µm so
    // that the example stays quick (the viewer places it by its geometry, as it would the 25 µm file).
    "docs/viewer.md": { "data/ccf/784354_ccf25.nii.gz": ccfBrainStandIn() },
  };
  const work = await Deno.makeTempDir({ prefix: "spimfetch-docs-" });
  const text = new TextDecoder();
  try {
    const files = await Promise.all(runnable.map(async (block, n) => {
      const dir = join(work, String(n));
      await Deno.mkdir(dir);
      for (const [path, bytes] of Object.entries(pageFiles[block.page] ?? {})) {
        await Deno.mkdir(dirname(join(dir, path)), { recursive: true });
        await Deno.writeFile(join(dir, path), bytes);
      }
      await Deno.writeTextFile(join(dir, "example.ts"), block.code);
      return join(dir, "example.ts");
    }));
    // One type check of them all (one module graph), then each runs on its own without checking again.
    await t.step("they type-check", async () => {
      const checked = await new Deno.Command(Deno.execPath(), {
        args: ["check", "--quiet", "--config", join(REPO, "deno.json"), ...files],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      let message = text.decode(checked.stderr);
      for (const [n, block] of runnable.entries()) {
        message = message.replaceAll(files[n], `${block.page} (block at line ${block.line})`);
      }
      assert(checked.success, message);
    });
    for (const [n, block] of runnable.entries()) {
      await t.step(`${block.page}:${block.line} runs`, async () => {
        const output = await new Deno.Command(Deno.execPath(), {
          args: ["run", "--no-check", "-A", "--quiet", "--config", join(REPO, "deno.json"), files[n]],
          cwd: dirname(files[n]),
          env: {
            NO_COLOR: "1",
            SPIMFETCH_S3_ENDPOINT: fixture.s3.endpoint,
            SPIMFETCH_CCF_SUBJECT: "700002",
            SPIMFETCH_CELLS_SUBJECTS: "700002",
            SPIMFETCH_ATLAS_ENDPOINT: fixture.s3.endpoint,
          },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert(
          output.success,
          `${block.page}:${block.line} failed (exit ${output.code}):\n${text.decode(output.stderr)}\n` +
            text.decode(output.stdout),
        );
      });
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
