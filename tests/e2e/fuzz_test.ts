/**
 * Fuzz-style tests of everything that reads metadata from a bucket: the real
 * AIND documents in `tests/fixtures/aind/` (acquisition.json of every
 * schema version, an image's .zattrs) and synthetic `.zattrs`, `.zarray`,
 * `zarr.json` and chunks, mutated on a seeded schedule.
 *
 * For every case the outcome must be either a typed error with a message
 * (MetadataError, NotFoundError, RangeError, TypeError) or a result that
 * passes sanity checks; never another kind of exception, a hang (each case is
 * bounded) or a file left behind.
 *
 * `FUZZ_SEED` and `FUZZ_CASES` (a multiplier) change the schedule; a failure
 * names the case and its mutation, which replays with the same seed.
 */
import { assert, assertEquals } from "@std/assert";
import * as zarr from "zarrita";
import { parseAcquisitionText } from "../../lib/metadata/acquisition.ts";
import { MetadataError, NotFoundError } from "../../lib/core/errors.ts";
import { checkReadMemory } from "../../lib/read/memory.ts";
import { escapeControl } from "../../lib/core/text.ts";
import { isContainedKey } from "../../lib/core/names.ts";
import { openImage, type ReadableStore } from "../../lib/metadata/image.ts";
import { computeOrientation } from "../../lib/orient/orient.ts";
import { streamLevel } from "../../lib/read/read.ts";
import { listChannels } from "../../lib/select/select.ts";
import { writeNifti } from "../../lib/write/nifti.ts";
import { mulberry32 } from "../../testing/fault_proxy.ts";
import { startS3Server } from "../../testing/s3_server.ts";
import { encodeZarrV2Array } from "../../testing/zarr_v2.ts";
import { engineErrorIn } from "../../testing/error_origin.ts";
import * as nifti from "nifti-reader-js";
import { AIND_NGFF_AXES } from "../../testing/smartspim_dataset.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261123);
const SCALE = Number(Deno.env.get("FUZZ_CASES") ?? 1);
/** A bound per case against hangs; a case takes milliseconds. */
const CASE_TIMEOUT_MS = 20_000;
const FIXTURES = new URL("../fixtures/aind/", import.meta.url);
const enc = (value: unknown): Uint8Array =>
  new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));
const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

type Random = () => number;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const int = (random: Random, n: number): number => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)];

function deepArray(depth: number): Json {
  let value: Json = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Values that have broken parsers before: wrong types, edge numbers, hostile strings. */
function hostileValue(random: Random): Json {
  const values: (() => Json)[] = [
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => -0.0001,
    () => 1e308,
    () => 2 ** 53 + 2,
    () => 1.5,
    () => int(random, 10),
    () => "",
    () => "..",
    () => "../../x",
    () => "/etc/passwd",
    () => "a/b",
    () => "0\u0000",
    () => "\u001b[2J\u001b[31mred",
    () => "\u202eevil",
    () => "Left_to_right",
    () => "Right_to_left",
    () => "Superior_to_inferior",
    () => "posterior TO anterior",
    () => "Left_to_anterior",
    () => "micrometer",
    () => "parsec",
    () => "space",
    () => "scale",
    () => "translation",
    () => "<u2",
    () => "|O",
    () => "<f8",
    () => "𝕏𝕐ℤ",
    () => "x".repeat(5000),
    () => [],
    () => ({}),
    () => [1, 2, 3],
    () => [1, 1, 2.5, 4, 4],
    () => [0, 0, 0, 0, 0],
    () => [1, 1, 1e9, 1e9, 1e9],
    () => [-1, 1, 1, 1, 1],
    () => ({ type: "scale", scale: [1, 1, 0, 1, 1] }),
    () => ({ type: "translation", translation: [0, 0, 1e308, 1e308, 1e308] }),
    () => ({ name: "q", type: "space", unit: "micrometer" }),
    () => ({ name: "X", dimension: 2, direction: "Left_to_right" }),
    () => deepArray(50 + int(random, 3000)),
  ];
  return pick(random, values)();
}

/** Every path in a JSON tree (up to `limit`), as key lists. */
function paths(value: Json, limit = 20_000): (string | number)[][] {
  const out: (string | number)[][] = [];
  const stack: [Json, (string | number)[]][] = [[value, []]];
  while (stack.length > 0 && out.length < limit) {
    const [node, path] = stack.pop()!;
    out.push(path);
    if (Array.isArray(node)) node.forEach((child, i) => stack.push([child, [...path, i]]));
    else if (node !== null && typeof node === "object") {
      for (const [k, child] of Object.entries(node)) stack.push([child, [...path, k]]);
    }
  }
  return out;
}

function at(value: Json, path: (string | number)[]): Json {
  let node = value;
  for (const key of path) node = (node as Record<string, Json>)[key as string];
  return node;
}

/**
 * One structural mutation of a parsed document, preferring paths that match
 * `focus` (where the parser under test looks). Returns its description.
 */
function mutateJson(doc: Json, random: Random, focus: RegExp): string {
  const all = paths(doc).filter((p) => p.length > 0);
  const focused = all.filter((p) => focus.test(p.join(".")));
  const path = pick(random, focused.length > 0 && random() < 0.85 ? focused : all.length > 0 ? all : [[]]);
  if (path.length === 0) return "no-op (empty document)";
  const parent = at(doc, path.slice(0, -1)) as Record<string, Json> | Json[];
  const key = path[path.length - 1];
  const where = path.join(".");
  const op = int(random, 7);
  if (op === 0 && !Array.isArray(parent)) {
    delete (parent as Record<string, Json>)[key as string];
    return `delete ${where}`;
  }
  if (op === 1 && Array.isArray(parent)) {
    parent.splice(key as number, 1);
    return `remove ${where}`;
  }
  if (op === 2 && Array.isArray(parent)) {
    parent.splice(key as number, 0, structuredClone(parent[key as number]));
    return `duplicate ${where}`;
  }
  if (op === 3 && Array.isArray(parent) && parent.length > 1) {
    const other = int(random, parent.length);
    [parent[key as number], parent[other]] = [parent[other], parent[key as number]];
    return `swap ${where} with [${other}]`;
  }
  if (op === 4) {
    const value = (parent as Record<string, Json>)[key as string];
    (parent as Record<string, Json>)[key as string] = typeof value === "number"
      ? String(value)
      : typeof value === "string" && value !== "" && !Number.isNaN(Number(value))
      ? Number(value)
      : [value];
    return `change the type of ${where}`;
  }
  if (op === 5 && typeof (parent as Record<string, Json>)[key as string] === "number") {
    const value = (parent as Record<string, Json>)[key as string] as number;
    (parent as Record<string, Json>)[key as string] = pick(random, [0, -value, value * 1e6, value + 0.5, -1]);
    return `change the number at ${where}`;
  }
  const value = hostileValue(random);
  (parent as Record<string, Json>)[key as string] = value;
  return `set ${where} to ${JSON.stringify(value)?.slice(0, 60)}`;
}

/** One mutation of a document's text: truncation, a flipped byte, non-JSON numbers, garbage. */
function mutateText(text: string, random: Random): { text: string; what: string } {
  const op = int(random, 6);
  const position = int(random, text.length + 1);
  switch (op) {
    case 0:
      return { text: text.slice(0, position), what: `truncate at ${position}` };
    case 1: {
      const chars = [...text];
      const i = int(random, chars.length);
      chars[i] = String.fromCharCode(chars[i]?.charCodeAt(0) ^ (1 << int(random, 7)));
      return { text: chars.join(""), what: `flip a bit at ${i}` };
    }
    case 2: {
      const number = /-?\d+(\.\d+)?([eE][+-]?\d+)?/g;
      const found = [...text.matchAll(number)];
      if (found.length === 0) return { text: text + "}", what: "append }" };
      const m = pick(random, found);
      const replacement = pick(random, ["1e309", "-1e309", "NaN", "Infinity", "0x10", "1e-400", "-0"]);
      return {
        text: text.slice(0, m.index) + replacement + text.slice(m.index! + m[0].length),
        what: `replace the number at ${m.index} with ${replacement}`,
      };
    }
    case 3:
      return { text: "\ufeff" + text, what: "prepend a BOM" };
    case 4: {
      const garbage = pick(random, [",", "]", "{", '"', "\u0000", "\\", "/*x*/", ",,"]);
      return { text: text.slice(0, position) + garbage + text.slice(position), what: `insert ${garbage}` };
    }
    default:
      return { text: "[".repeat(100_000) + "]".repeat(100_000), what: "100000 nested arrays" };
  }
}

/** Outcome tallies, printed at the end. */
class Tally {
  readonly counts = new Map<string, number>();
  readonly examples = new Map<string, string>();
  /** Every case of an outcome that is not a clean result, listed in full. */
  readonly listed: string[] = [];
  add(outcome: string, example?: string): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
    if (example && !this.examples.has(outcome)) this.examples.set(outcome, example.slice(0, 300));
    if (example && /^exported, |undetectable/.test(outcome)) this.listed.push(`${outcome}: ${example}`);
  }
  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  toString(): string {
    const counts = [...this.counts].sort().map(([k, v]) => `${k}: ${v}`).join(", ");
    const examples = [...this.examples].sort().map(([k, v]) => `\n  e.g. ${k}: ${v}`).join("");
    return counts + examples + this.listed.map((line) => `\n  - ${line.slice(0, 300)}`).join("");
  }
}

const ACCEPTED = [MetadataError, NotFoundError, RangeError, TypeError] as const;

/**
 * Classifies a thrown value, failing the test unless it is an accepted type with a message and every
 * error in its cause chain was made by a deliberate check, not by the engine at a fault (see
 * `testing/error_origin.ts`): a MetadataError wrapping `Cannot read properties of undefined` is a crash.
 */
function classify(error: unknown, label: string): string {
  const known = ACCEPTED.find((E) => error instanceof E);
  if (!known) throw new Error(`${label}: threw ${Object.prototype.toString.call(error)} ${String(error)}`);
  const message = (error as Error).message;
  assert(typeof message === "string" && message.length > 0, `${label}: an error without a message`);
  const crash = engineErrorIn(error);
  if (crash) {
    throw new Error(`${label}: a crash, not a deliberate check: ${crash}`, { cause: error });
  }
  return (error as Error).name;
}

async function bounded<T>(label: string, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${label}: no outcome within ${CASE_TIMEOUT_MS} ms`)),
      CASE_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** An in-memory store that records the keys asked for. */
function memoryStore(files: Map<string, Uint8Array>): ReadableStore & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    get(key: string): Promise<Uint8Array | undefined> {
      asked.push(key);
      return Promise.resolve(files.get(key));
    },
  };
}

/** Every key asked of a store must stay below the image. */
function assertKeysInside(asked: string[], label: string): void {
  for (const key of asked) assert(isContainedKey(key), `${label}: asked for key ${key.slice(0, 200)}`);
}

Deno.test("fuzz: mutated acquisition.json of every schema version parses or fails with a MetadataError", async () => {
  const names: string[] = [];
  for await (const entry of Deno.readDir(FIXTURES)) {
    if (/acquisition|orientation_metadata/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  assert(names.length >= 20, `only ${names.length} acquisition fixtures`);
  const texts = await Promise.all(names.map((n) => Deno.readTextFile(new URL(n, FIXTURES))));
  const tally = new Tally();
  const cases = 320 * SCALE;
  for (let i = 0; i < cases; i++) {
    const random = mulberry32(SEED ^ (i * 0x9e3779b1));
    const file = int(random, names.length);
    let text = texts[file];
    let what: string;
    if (random() < 0.7) {
      let doc: Json;
      try {
        doc = JSON.parse(text);
      } catch {
        doc = {};
      }
      const steps = 1 + int(random, 3);
      const done: string[] = [];
      for (let s = 0; s < steps; s++) {
        done.push(mutateJson(doc, random, /axes|coordinate_system|subject_id|dimension|direction|name/));
      }
      text = JSON.stringify(doc);
      what = done.join("; ");
    } else {
      ({ text, what } = mutateText(text, random));
    }
    const label = `acquisition case ${i} (${names[file]}: ${what.slice(0, 200)})`;
    const subject = /SmartSPIM_(\w+?)_/.exec(names[file])?.[1];
    try {
      const acquisition = parseAcquisitionText(text, { source: names[file], expectedSubject: subject });
      // A result must describe a usable orientation.
      // `+ 0` folds a "dimension": -0 (which JSON allows and means 0) into 0.
      assertEquals(acquisition.axes.map((a) => a.dimension + 0), [0, 1, 2], label);
      const orientation = computeOrientation(acquisition.axes, { size: [4, 5, 6], spacing: [1, 1, 1] });
      for (const row of orientation.geometry.direction) {
        assertEquals(row.map(Math.abs).sort(), [0, 0, 1], `${label}: direction is not a signed permutation`);
      }
      tally.add("parsed");
    } catch (error) {
      if (error instanceof Error && error.message.startsWith(label)) throw error;
      tally.add(classify(error, label), (error as Error).message);
    }
  }
  console.log(`acquisition.json: ${tally.total} cases (seed ${SEED}): ${tally}`);
  assertEquals(tally.total, cases);
  assert((tally.counts.get("parsed") ?? 0) > 0 && (tally.counts.get("MetadataError") ?? 0) > 0);
});

/** What a generator wrote at level 0: the voxels, (z, y, x) C order, and the chunk layout. */
interface Written {
  data: Uint16Array;
  shape: number[];
  chunks: number[];
  compressed: boolean;
}

/** A valid small v2 image: .zattrs plus level 0, with Blosc or raw chunks; `written` says what it holds. */
async function syntheticImage(random: Random): Promise<Map<string, Uint8Array> & { written: Written }> {
  const files = new Map<string, Uint8Array>() as Map<string, Uint8Array> & { written: Written };
  const shape = [1, 1, 5 + int(random, 12), 6 + int(random, 12), 7 + int(random, 12)];
  const chunks = [1, 1, 4 + int(random, 5), 4 + int(random, 5), 4 + int(random, 5)];
  const data = new Uint16Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => (i * 31) % 65521);
  const compressed = random() >= 0.5;
  files.written = { data, shape: shape.slice(2), chunks: chunks.slice(2), compressed };
  const encoded = await encodeZarrV2Array("0", {
    data,
    shape,
    chunks,
    compressor: compressed ? { cname: "zstd", clevel: 1, shuffle: 1 } : null,
  });
  for (const [key, bytes] of encoded) files.set(`/${key}`, bytes);
  files.set(
    "/.zattrs",
    enc({
      multiscales: [{
        version: "0.4",
        axes: AIND_NGFF_AXES,
        datasets: [{ path: "0", coordinateTransformations: [{ type: "scale", scale: [1, 1, 2, 1.8, 1.8] }] }],
      }],
    }),
  );
  return files;
}

const IDENTITY = {
  spacing: [1, 1, 1],
  origin: [0, 0, 0],
  direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
} as const;

/**
 * How a case's export is judged against what the generator wrote. `damage`
 * is the (z, y, x) range of a chunk the case damaged, and `exact` the voxels
 * expected when the damage is predictable (a byte flipped in a raw chunk).
 * `reinterprets` says whether the mutation changes what the stored bytes mean
 * (a dtype, order, chunk shape or axis order that lies about them).
 */
interface Expectation {
  written: Written;
  damage?: { region: [number, number][]; exact?: Uint16Array };
  reinterprets: boolean;
}

/**
 * Compares the exported NIfTI with what the generator wrote, over the
 * voxels both hold (a mutated shape crops or extends the array; the chunk
 * grid, and so every voxel's place, stays). Returns the outcome, or throws
 * when voxels changed that nothing in the case can explain.
 */
async function judgeExport(path: string, expect: Expectation, label: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  const buffer = bytes.buffer as ArrayBuffer;
  const header = nifti.readHeader(buffer);
  assert(header, `${label}: the export is not a NIfTI file`);
  const [, nx, ny, nz] = header.dims;
  const { data, shape } = expect.written;
  const [wz, wy, wx] = shape;
  if (header.numBitsPerVoxel !== 16) {
    if (expect.reinterprets) return "exported, the metadata changes the voxels";
    throw new Error(`${label}: exported ${header.numBitsPerVoxel}-bit voxels from 16-bit data`);
  }
  const voxels = new Uint16Array(nifti.readImage(header, buffer)); // bit patterns, whatever the sign
  const reference = expect.damage?.exact ?? data;
  let differ = 0;
  let outside = 0;
  let first = "";
  for (let z = 0; z < Math.min(nz, wz); z++) {
    for (let y = 0; y < Math.min(ny, wy); y++) {
      for (let x = 0; x < Math.min(nx, wx); x++) {
        const got = voxels[(z * ny + y) * nx + x];
        const want = reference[(z * wy + y) * wx + x];
        if (got === want) continue;
        differ++;
        first ||= `voxel (z ${z}, y ${y}, x ${x}) is ${got}, written ${want}`;
        const inside = expect.damage?.region.every(([lo, hi], i) => lo <= [z, y, x][i] && [z, y, x][i] < hi);
        if (!inside || expect.damage?.exact) outside++;
      }
    }
  }
  const resized = nz !== wz || ny !== wy || nx !== wx;
  if (differ === 0) return resized ? "exported, resized by the metadata" : "exported";
  if (expect.reinterprets) return "exported, the metadata changes the voxels";
  if (outside === 0) return "undetectable chunk damage";
  throw new Error(`${label}: exported wrong voxels (${differ} differ; ${first})`);
}

/**
 * Opens the image, checks its levels, and exports level 0 the way
 * `exportNifti` does (memory check, stream, atomic write) into `dir`, then
 * judges the voxels with {@linkcode judgeExport}.
 */
async function openAndExport(
  files: Map<string, Uint8Array>,
  dir: string,
  label: string,
  expect: Expectation,
): Promise<string> {
  const store = memoryStore(files);
  const image = await openImage("s3://bucket/fuzz.zarr", { store });
  for (const level of image.levels) {
    assert(level.spacing.every((s) => Number.isFinite(s) && s > 0), `${label}: spacing ${level.spacing}`);
    assert(level.translation.every(Number.isFinite), `${label}: translation ${level.translation}`);
    assert(level.size.every((n) => Number.isSafeInteger(n) && n > 0), `${label}: size ${level.size}`);
  }
  checkReadMemory(image, 0, { maxBytes: 256 * 2 ** 20 });
  const stream = streamLevel(image, 0);
  await writeNifti(`${dir}/out.nii`, stream, {
    geometry: IDENTITY as unknown as Parameters<typeof writeNifti>[2]["geometry"],
  });
  assertKeysInside(store.asked, label);
  return await judgeExport(`${dir}/out.nii`, expect, label);
}

async function runImageCase(
  files: Map<string, Uint8Array>,
  dir: string,
  label: string,
  tally: Tally,
  expect: Expectation,
): Promise<void> {
  try {
    const outcome = await bounded(label, () => openAndExport(files, dir, label, expect));
    tally.add(outcome, label);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["out.nii"], label);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(label)) throw error;
    tally.add(classify(error, label), (error as Error).message);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), [], `${label}: a file was left behind`);
  } finally {
    await Deno.remove(`${dir}/out.nii`).catch(() => {});
  }
}

Deno.test("fuzz: mutated .zattrs (the real AIND one and synthetic ones) open, export or fail typed", async () => {
  const real = JSON.parse(
    await Deno.readTextFile(
      new URL("SmartSPIM_631680_stitched_2022-11-10_Ex_647_Em_690.zarr.zattrs.json", FIXTURES),
    ),
  ) as Json;
  const dir = await Deno.makeTempDir();
  const tally = new Tally();
  const cases = 200 * SCALE;
  try {
    for (let i = 0; i < cases; i++) {
      const random = mulberry32((SEED + 1) ^ (i * 0x85ebca6b));
      const files = await syntheticImage(random);
      const useReal = random() < 0.5;
      const base = useReal ? structuredClone(real) : JSON.parse(dec(files.get("/.zattrs")!)) as Json;
      if (useReal) {
        // The real image's levels (paths 0-4) with the synthetic array at each: metadata only is read.
        for (const path of ["1", "2", "3", "4"]) files.set(`/${path}/.zarray`, files.get("/0/.zarray")!);
      }
      let text: string;
      let what: string;
      if (random() < 0.8) {
        const steps = 1 + int(random, 3);
        const done: string[] = [];
        for (let s = 0; s < steps; s++) {
          done.push(mutateJson(base, random, /multiscales|axes|datasets|path|scale|translation|unit|type/));
        }
        text = JSON.stringify(base);
        what = done.join("; ");
      } else {
        ({ text, what } = mutateText(JSON.stringify(base), random));
      }
      files.set("/.zattrs", enc(text));
      await runImageCase(
        files,
        dir,
        `.zattrs case ${i} (${useReal ? "real" : "synthetic"}: ${what.slice(0, 200)})`,
        tally,
        // Axes in another order, or a level path that leads elsewhere, change what the voxels mean.
        { written: files.written, reinterprets: /axes|datasets|path|flip a bit/.test(what) },
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(`.zattrs: ${tally.total} cases (seed ${SEED}): ${tally}`);
  assertEquals(tally.total, cases);
});

Deno.test("fuzz: mutated .zarray and chunks export correctly or fail typed, leaving no file", async () => {
  const dir = await Deno.makeTempDir();
  const tally = new Tally();
  const cases = 240 * SCALE;
  try {
    for (let i = 0; i < cases; i++) {
      const random = mulberry32((SEED + 2) ^ (i * 0xc2b2ae35));
      const files = await syntheticImage(random);
      let what: string;
      let damage: Expectation["damage"];
      if (random() < 0.75) {
        const zarray = JSON.parse(dec(files.get("/0/.zarray")!)) as Json;
        const steps = 1 + int(random, 2);
        const done: string[] = [];
        for (let s = 0; s < steps; s++) {
          done.push(
            mutateJson(
              zarray,
              random,
              /shape|chunks|dtype|compressor|fill_value|order|filters|separator|format/,
            ),
          );
        }
        files.set("/0/.zarray", enc(zarray));
        what = done.join("; ");
      } else {
        // Damage one chunk: cut, extend, flip, or replace it.
        const keys = [...files.keys()].filter((k) => /^\/0\/\d/.test(k));
        const key = pick(random, keys);
        const bytes = files.get(key)!;
        const op = int(random, 4);
        const flipped = int(random, bytes.length);
        const damaged = op === 0
          ? bytes.slice(0, int(random, bytes.length))
          : op === 1
          ? new Uint8Array([...bytes, ...bytes.slice(0, 1 + int(random, 64))])
          : op === 2
          ? bytes.map((b, j) => (j === flipped ? b ^ 0xff : b))
          : new Uint8Array(int(random, 2048)).map(() => int(random, 256)); // from the seed, so it replays
        files.set(key, damaged);
        what = `${["cut", "extend", "flip a byte of", "replace"][op]} chunk ${key}`;
        damage = chunkDamage(files.written, key, op === 2 ? flipped : undefined);
      }
      await runImageCase(files, dir, `.zarray case ${i} (${what.slice(0, 200)})`, tally, {
        written: files.written,
        damage,
        // Any field of .zarray but zarr_format can lie about the stored bytes (a swapped chunk shape with
        // the same voxel count, order "F", a dtype of the same size, a separator that finds no chunk).
        reinterprets: damage === undefined &&
          /shape|chunks|dtype|compressor|fill_value|order|filters|separator/
            .test(what),
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(`.zarray and chunks: ${tally.total} cases (seed ${SEED}): ${tally}`);
  assertEquals(tally.total, cases);
  assert((tally.counts.get("exported") ?? 0) > 0 && (tally.counts.get("MetadataError") ?? 0) > 0);
});

/**
 * The region of the chunk at `key` (`/0/0/0/cz/cy/cx`), and, for a byte
 * flipped in a raw chunk, the exact voxels to expect: every byte of a raw
 * chunk is a valid voxel, so such damage cannot be detected, only placed.
 */
function chunkDamage(written: Written, key: string, flippedByte?: number): Expectation["damage"] {
  const coords = key.split("/").slice(-3).map(Number);
  const { data, shape, chunks } = written;
  const region = coords.map((c, i) => [c * chunks[i], (c + 1) * chunks[i]] as [number, number]);
  if (flippedByte === undefined || written.compressed) return { region };
  const voxel = flippedByte >> 1;
  const local = [
    Math.floor(voxel / (chunks[1] * chunks[2])),
    Math.floor(voxel / chunks[2]) % chunks[1],
    voxel % chunks[2],
  ];
  const global = local.map((l, i) => region[i][0] + l);
  const exact = data.slice();
  if (global.every((g, i) => g < shape[i])) {
    // Little-endian uint16: byte 0 is the low half.
    exact[(global[0] * shape[1] + global[1]) * shape[2] + global[2]] ^= 0xff << (8 * (flippedByte & 1));
  }
  return { region, exact };
}

/** A valid Zarr v3 / NGFF 0.5 image written by zarrita. */
async function syntheticV3(random: Random): Promise<Map<string, Uint8Array> & { written: Written }> {
  const files = new Map<string, Uint8Array>() as Map<string, Uint8Array> & { written: Written };
  const shape = [1, 1, 4 + int(random, 6), 4 + int(random, 6), 4 + int(random, 6)];
  const data = new Uint16Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => i);
  files.written = { data, shape: shape.slice(2), chunks: [4, 4, 4], compressed: false };
  const array = await zarr.create(zarr.root(files).resolve("0"), {
    shape,
    chunkShape: [1, 1, 4, 4, 4],
    dtype: "uint16",
  });
  await zarr.set(array, null, {
    data,
    shape,
    stride: shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1)),
  });
  files.set(
    "/zarr.json",
    enc({
      zarr_format: 3,
      node_type: "group",
      attributes: {
        ome: {
          version: "0.5",
          multiscales: [{
            axes: [
              { name: "t", type: "time" },
              { name: "c", type: "channel" },
              { name: "z", type: "space", unit: "micrometer" },
              { name: "y", type: "space", unit: "micrometer" },
              { name: "x", type: "space", unit: "micrometer" },
            ],
            datasets: [{ path: "0", coordinateTransformations: [{ type: "scale", scale: [1, 1, 2, 1, 1] }] }],
          }],
        },
      },
    }),
  );
  return files;
}

Deno.test("fuzz: mutated zarr.json (group and array, Zarr v3) export or fail typed", async () => {
  const dir = await Deno.makeTempDir();
  const tally = new Tally();
  const cases = 80 * SCALE;
  try {
    for (let i = 0; i < cases; i++) {
      const random = mulberry32((SEED + 3) ^ (i * 0x27d4eb2f));
      const files = await syntheticV3(random);
      const key = random() < 0.5 ? "/zarr.json" : "/0/zarr.json";
      const doc = JSON.parse(dec(files.get(key)!)) as Json;
      let text: string;
      let what: string;
      if (random() < 0.8) {
        what = mutateJson(
          doc,
          random,
          /multiscales|axes|datasets|path|scale|shape|chunk|data_type|codecs|fill_value|node_type|zarr_format/,
        );
        text = JSON.stringify(doc);
      } else {
        ({ text, what } = mutateText(JSON.stringify(doc), random));
      }
      files.set(key, enc(text));
      await runImageCase(files, dir, `zarr.json case ${i} (${key}: ${what.slice(0, 200)})`, tally, {
        written: files.written,
        // Axes in another order, a level path that leads elsewhere, or array fields that lie about the
        // stored bytes (a chunk shape, data type, codec or key encoding) change what the voxels mean.
        reinterprets: /axes|datasets|path|flip a bit|chunk|data_type|codecs|fill_value|dimension_names/.test(
          what,
        ),
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(`zarr.json: ${tally.total} cases (seed ${SEED}): ${tally}`);
  assertEquals(tally.total, cases);
});

Deno.test("the crash detector tells deliberate checks from errors the engine made", () => {
  const thrown = (f: () => unknown): unknown => {
    try {
      f();
    } catch (error) {
      return error;
    }
    throw new Error("did not throw");
  };
  const outOfBounds = thrown(() => new DataView(new ArrayBuffer(2)).getUint32(0));
  const badLength = thrown(() => new Uint16Array(new ArrayBuffer(3)));
  const undefinedRead = thrown(() => (JSON.parse("{}") as { a: { b: number } }).a.b);
  const source = "s3://bucket/a.zarr/0";
  const deliberate = [
    new MetadataError("level 0 has shape null: expected a list of integers", { source }),
    new RangeError("Cannot read level 0: it needs about 11.7 GiB"),
    new MetadataError("not valid JSON", { source, cause: thrown(() => JSON.parse("{")) }),
  ];
  for (const error of deliberate) assertEquals(engineErrorIn(error), undefined, String(error));
  const crashes = [
    outOfBounds,
    badLength,
    undefinedRead,
    new MetadataError("chunk 0 cannot be decoded", { source, cause: outOfBounds }),
    new MetadataError("wrapped twice", { source, cause: new Error("inner", { cause: undefinedRead }) }),
    // A wrapper that copied a crash's message and dropped its cause.
    new MetadataError("level 0 array metadata is invalid: dtype.match is not a function", { source }),
    "a string",
  ];
  for (const error of crashes) assert(engineErrorIn(error) !== undefined, String(error));
});

Deno.test("oversized metadata is refused before parsing, naming the size", async () => {
  const files = new Map([["/.zattrs", new Uint8Array(17 * 2 ** 20).fill(0x20)]]);
  const error = await openImage("s3://bucket/big.zarr", { store: memoryStore(files) }).catch((e) => e);
  assert(error instanceof MetadataError && error.message.includes(`${17 * 2 ** 20} bytes`), String(error));
});

Deno.test("a level too large for memory is refused before any allocation, naming the figure", async () => {
  const random = mulberry32(SEED);
  const files = await syntheticImage(random);
  const zarray = JSON.parse(dec(files.get("/0/.zarray")!));
  files.set(
    "/0/.zarray",
    enc({ ...zarray, shape: [1, 1, 30_000, 30_000, 30_000], chunks: [1, 1, 128, 128, 128] }),
  );
  const image = await openImage("s3://bucket/huge.zarr", { store: memoryStore(files) });
  const error = (() => {
    try {
      checkReadMemory(image, 0, { maxBytes: 64 * 2 ** 30 });
    } catch (e) {
      return e as Error;
    }
  })();
  assert(error instanceof RangeError, String(error));
  // 2 slabs of 128 × 30000 × 30000 uint16 voxels, and 16 chunks of 128³ decoding.
  assert(error.message.includes("429.2 GiB") && error.message.includes("64.0 GiB"), error.message);
});

Deno.test("names that could climb out of the image or drive the terminal are refused", async (t) => {
  const random = mulberry32(SEED);
  await t.step('a dataset path of "../../x" is refused before any key is built from it', async () => {
    const files = await syntheticImage(random);
    const zattrs = JSON.parse(dec(files.get("/.zattrs")!));
    zattrs.multiscales[0].datasets[0].path = "../../x";
    files.set("/.zattrs", enc(zattrs));
    const store = memoryStore(files);
    const error = await openImage("s3://bucket/a.zarr", { store }).catch((e) => e);
    assert(error instanceof MetadataError && error.message.includes('"../../x"'), String(error));
    assertEquals(store.asked.sort(), ["/.zattrs", "/zarr.json"]);
  });
  await t.step('a dimension_separator of "/../" is refused before any chunk key is built', async () => {
    const files = await syntheticImage(random);
    const zarray = JSON.parse(dec(files.get("/0/.zarray")!));
    files.set("/0/.zarray", enc({ ...zarray, dimension_separator: "/../" }));
    const error = await openImage("s3://bucket/a.zarr", { store: memoryStore(files) }).catch((e) => e);
    assert(error instanceof MetadataError && error.message.includes("dimension_separator"), String(error));
  });
  await t.step("channels named .. or with control characters are not listed", async () => {
    const asset = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54";
    await using server = await startS3Server();
    await server.createBucket("aind-open-data");
    const names = ["Ex_561_Em_593", "..", "Ex\u001b[2J", "Ex\u202e1"];
    await server.upload(
      "aind-open-data",
      names.map((name) =>
        [`${asset}/processed/OMEZarr/${name}.zarr/.zattrs`, enc({})] as [string, Uint8Array]
      ),
    );
    const channels = await listChannels(asset, { endpoint: server.endpoint });
    assertEquals(channels.map((c) => c.name), ["Ex_561_Em_593"]);
  });
  await t.step("the CLI prints control characters from a bucket escaped", () => {
    assertEquals(escapeControl('Unknown channel "\u001b[2J"'), 'Unknown channel "\\u001b[2J"');
  });
});
