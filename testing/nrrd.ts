/**
 * An NRRD reader for the tests, written from the format definition
 * (http://teem.sourceforge.net/nrrd/format.html) and independent of
 * `lib/write_nrrd.ts`: it parses any attached or detached header, decodes
 * raw and gzip data of the common types, and gives the voxel-to-world map
 * the header states.
 *
 * @module
 */
import { gunzipSync } from "fflate";

/** A parsed NRRD header. */
export interface NrrdHeader {
  /** The magic's version, 1-5. */
  version: number;
  /** Fields, keyed by lower-case name (`space directions`, `sizes`, ...), values as written. */
  fields: Map<string, string>;
  /** `key:=value` pairs, unescaped. */
  keyValues: Map<string, string>;
  /** Comment lines, without the `#`. */
  comments: string[];
  /** The canonical type: int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64, block. */
  type: string;
  /** The array dimension. */
  dimension: number;
  /** Samples per axis, fastest first. */
  sizes: number[];
  /** `raw`, `gzip`, `ascii`, `hex` or `bzip2`. */
  encoding: string;
  /** `little` or `big`, when given. */
  endian: string | undefined;
  /** The space, canonical (`right-anterior-superior`, ...), when given. */
  space: string | undefined;
  /** The space dimension (from `space` or `space dimension`). */
  spaceDimension: number | undefined;
  /** Per axis, its space direction vector, or undefined for `none`. */
  spaceDirections: (number[] | undefined)[] | undefined;
  /** The space origin. */
  spaceOrigin: number[] | undefined;
  /** Per axis, its kind, when given. */
  kinds: string[] | undefined;
  /** Per axis, its space unit, when given. */
  spaceUnits: string[] | undefined;
  /** Byte offset of the data in the bytes given, for an attached header. */
  dataOffset: number;
}

const TYPES: Record<string, string> = {};
for (
  const [canonical, names] of Object.entries({
    int8: ["signed char", "int8", "int8_t"],
    uint8: ["uchar", "unsigned char", "uint8", "uint8_t"],
    int16: ["short", "short int", "signed short", "signed short int", "int16", "int16_t"],
    uint16: ["ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t"],
    int32: ["int", "signed int", "int32", "int32_t"],
    uint32: ["uint", "unsigned int", "uint32", "uint32_t"],
    int64: [
      "longlong",
      "long long",
      "long long int",
      "signed long long",
      "signed long long int",
      "int64",
      "int64_t",
    ],
    uint64: ["ulonglong", "unsigned long long", "unsigned long long int", "uint64", "uint64_t"],
    float32: ["float"],
    float64: ["double"],
    block: ["block"],
  })
) {
  for (const name of names) TYPES[name] = canonical;
}

const SPACES: Record<string, [string, number]> = {
  "right-anterior-superior": ["right-anterior-superior", 3],
  ras: ["right-anterior-superior", 3],
  "left-anterior-superior": ["left-anterior-superior", 3],
  las: ["left-anterior-superior", 3],
  "left-posterior-superior": ["left-posterior-superior", 3],
  lps: ["left-posterior-superior", 3],
  "scanner-xyz": ["scanner-xyz", 3],
  "3d-right-handed": ["3D-right-handed", 3],
  "3d-left-handed": ["3D-left-handed", 3],
};

function parseVector(text: string): number[] {
  const match = /^\(\s*([^()]*)\)$/.exec(text.trim());
  if (!match) throw new SyntaxError(`NRRD: "${text}" is not a vector`);
  return match[1].split(",").map((v) => {
    const n = Number(v.trim());
    if (v.trim() === "" || Number.isNaN(n) && v.trim().toLowerCase() !== "nan") {
      throw new SyntaxError(`NRRD: "${v}" in "${text}" is not a number`);
    }
    return n;
  });
}

function parseVectors(text: string): (number[] | undefined)[] {
  const tokens = text.trim().match(/\([^()]*\)|none/gi) ?? [];
  return tokens.map((t) => (t.toLowerCase() === "none" ? undefined : parseVector(t)));
}

function unescape(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c) => (c === "n" ? "\n" : "\\"));
}

/**
 * Parses an NRRD header from the start of a file's bytes (or from header
 * text). Ends at the first empty line, or at the end of the text for a
 * detached header.
 *
 * @param input The file's bytes, or the header text.
 * @returns The header.
 * @throws {SyntaxError} If the magic or a required field is missing or malformed.
 */
export function parseNrrdHeader(input: Uint8Array | string): NrrdHeader {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const lines: string[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    let end = bytes.indexOf(0x0a, offset);
    if (end < 0) end = bytes.length;
    const line = new TextDecoder("latin1").decode(bytes.subarray(offset, end)).replace(/\r$/, "");
    offset = end + 1;
    if (line === "") break;
    lines.push(line);
  }
  const magic = /^NRRD000([1-5])$/.exec(lines[0] ?? "");
  if (!magic) throw new SyntaxError(`NRRD: bad magic "${lines[0]}"`);
  const fields = new Map<string, string>();
  const keyValues = new Map<string, string>();
  const comments: string[] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith("#")) {
      comments.push(line.slice(1).trim());
      continue;
    }
    const kv = line.indexOf(":=");
    const field = line.indexOf(": ");
    if (kv >= 0 && (field < 0 || kv < field)) {
      keyValues.set(unescape(line.slice(0, kv)), unescape(line.slice(kv + 2)));
    } else if (field >= 0) {
      fields.set(line.slice(0, field).trim().toLowerCase(), line.slice(field + 2).trim());
    } else {
      throw new SyntaxError(`NRRD: cannot parse header line "${line}"`);
    }
  }
  const need = (name: string): string => {
    const value = fields.get(name);
    if (value === undefined) throw new SyntaxError(`NRRD: missing field "${name}"`);
    return value;
  };
  const type = TYPES[need("type").toLowerCase()];
  if (!type) throw new SyntaxError(`NRRD: unknown type "${fields.get("type")}"`);
  const dimension = Number(need("dimension"));
  const sizes = need("sizes").split(/\s+/).map(Number);
  if (sizes.length !== dimension) {
    throw new SyntaxError(`NRRD: ${sizes.length} sizes for dimension ${dimension}`);
  }
  const spaceField = fields.get("space");
  const space = spaceField === undefined ? undefined : SPACES[spaceField.toLowerCase()];
  if (spaceField !== undefined && !space) throw new SyntaxError(`NRRD: unknown space "${spaceField}"`);
  const spaceDimension = space?.[1] ??
    (fields.has("space dimension") ? Number(fields.get("space dimension")) : undefined);
  const directions = fields.has("space directions")
    ? parseVectors(fields.get("space directions")!)
    : undefined;
  if (directions && directions.length !== dimension) {
    throw new SyntaxError(`NRRD: ${directions.length} space directions for dimension ${dimension}`);
  }
  if (directions?.some((d) => d && d.length !== spaceDimension)) {
    throw new SyntaxError(`NRRD: a space direction does not have ${spaceDimension} coordinates`);
  }
  const quoted = (text: string | undefined): string[] | undefined =>
    text === undefined ? undefined : [...text.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  const encoding = need("encoding").toLowerCase();
  return {
    version: Number(magic[1]),
    fields,
    keyValues,
    comments,
    type,
    dimension,
    sizes,
    encoding: encoding === "gz" ? "gzip" : encoding === "txt" || encoding === "text" ? "ascii" : encoding,
    endian: fields.get("endian")?.toLowerCase(),
    space: space?.[0],
    spaceDimension,
    spaceDirections: directions,
    spaceOrigin: fields.has("space origin") ? parseVector(fields.get("space origin")!) : undefined,
    kinds: fields.get("kinds")?.split(/\s+/),
    spaceUnits: quoted(fields.get("space units")),
    dataOffset: offset,
  };
}

const ARRAYS: Record<string, { new (buffer: ArrayBuffer): ArrayLike<number>; BYTES_PER_ELEMENT: number }> = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/**
 * Reads an attached-header NRRD file: header and voxels (raw or gzip, any
 * endianness), fastest axis first.
 *
 * @param bytes The file's bytes.
 * @returns The header and the voxels as a typed array of the file's type.
 * @throws {SyntaxError} For a malformed header, an unsupported encoding or type, or short data.
 */
export function readNrrd(bytes: Uint8Array): { header: NrrdHeader; data: ArrayLike<number> } {
  const header = parseNrrdHeader(bytes);
  const Array = ARRAYS[header.type];
  if (!Array) throw new SyntaxError(`NRRD: cannot decode type ${header.type}`);
  let payload = bytes.subarray(header.dataOffset);
  if (header.encoding === "gzip") payload = gunzipSync(payload);
  else if (header.encoding !== "raw") {
    throw new SyntaxError(`NRRD: cannot decode encoding ${header.encoding}`);
  }
  const count = header.sizes.reduce((a, b) => a * b, 1);
  const size = Array.BYTES_PER_ELEMENT;
  if (payload.length !== count * size) {
    throw new SyntaxError(`NRRD: ${payload.length} data bytes, expected ${count * size}`);
  }
  const copy = payload.slice();
  const hostLittle = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (size > 1 && (header.endian === "big") === hostLittle) {
    for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  }
  return { header, data: new Array(copy.buffer) };
}

/**
 * The world position of a sample, in the header's space: `space origin +
 * Σ index[a] · space directions[a]` over the axes that have a direction.
 *
 * @param header A header with `space origin` and `space directions`.
 * @param index A sample index, fastest axis first.
 * @returns The position, in the header's space and units.
 * @throws {SyntaxError} If the header does not give the orientation.
 */
export function nrrdIndexToWorld(header: NrrdHeader, index: readonly number[]): number[] {
  if (!header.spaceOrigin || !header.spaceDirections) {
    throw new SyntaxError("NRRD: the header gives no space origin and directions");
  }
  const position = [...header.spaceOrigin];
  header.spaceDirections.forEach((d, a) => d?.forEach((v, p) => (position[p] += v * index[a])));
  return position;
}

/**
 * The same position in LPS, whichever of RAS, LAS or LPS the header uses.
 *
 * @param header A header with a patient space.
 * @param index A sample index, fastest axis first.
 * @returns The LPS position.
 * @throws {SyntaxError} If the space is not one of the three.
 */
export function nrrdIndexToLps(header: NrrdHeader, index: readonly number[]): number[] {
  const world = nrrdIndexToWorld(header, index);
  const sign: Record<string, number[]> = {
    "left-posterior-superior": [1, 1, 1],
    "right-anterior-superior": [-1, -1, 1],
    "left-anterior-superior": [1, -1, 1],
  };
  const s = header.space ? sign[header.space] : undefined;
  if (!s) throw new SyntaxError(`NRRD: space ${header.space} is not a patient space`);
  return world.map((v, p) => s[p] * v);
}
