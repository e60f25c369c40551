/**
 * The readers of AIND's cell files, every era, on hand-written files fed in
 * small pieces (so that lines and XML elements straddle piece boundaries), and
 * their errors on truncated or unknown files.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { MetadataError } from "../../lib/core/errors.ts";
import {
  aindRows,
  decideOrder,
  decodeAnnotation,
  parseCellfinderXml,
  parseDetectionsCsv,
  parseRegionCounts,
  parseTransformedCells,
} from "../../lib/cells/mod.ts";
import { encodeNiftiHeader } from "../../testing/ccf_dataset.ts";

/** The text's bytes in pieces of `size` bytes. */
async function* pieces(text: string, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

const SRC = "s3://b/asset/image_cell_segmentation/Ex_639_Em_667/file";

Deno.test("parseDetectionsCsv() reads detected_cells.csv as (z, y, x), whatever the piece size", async () => {
  const text = ",x,y,z\n0,10.0,20.0,30.0\n1,12.0,22.0,32.0\r\n2,4,8,16\n";
  for (const size of [1, 3, 7, 1000]) {
    const cells = await parseDetectionsCsv(pieces(text, size), "detected_cells.csv", SRC);
    assertEquals(cells.count, 3);
    assertEquals([...cells.zyx], [30, 20, 10, 32, 22, 12, 16, 8, 4]);
    assertEquals(cells.notCells, 0);
  }
});

Deno.test("parseDetectionsCsv() keeps Class 1 in proposals/cell_likelihoods.csv and Class 2 in the 2024 file", async () => {
  const proposals = ",x,y,z,Class,Cell Likelihood,Foreground,Background,Cell ID\n" +
    "0,1,2,3,1,0.9,5,4,17\n1,4,5,6,0,0.2,5,4,18\n2,7,8,9,1,0.8,5,4,19\n";
  const a = await parseDetectionsCsv(pieces(proposals), "proposals/cell_likelihoods.csv", SRC);
  assertEquals([a.count, a.notCells], [2, 1]);
  assertEquals([...a.zyx], [3, 2, 1, 9, 8, 7]);
  assertEquals([...a.ids!], [17, 19]);
  // 2024: Class 2 = cell, 1 = not; columns in capitals and another order.
  const older = ",Z,Class,X,Y,Cell Likelihood\n0,3,2,1,2,0.9\n1,6,1,4,5,0.2\n";
  const b = await parseDetectionsCsv(pieces(older), "cell_likelihoods.csv", SRC);
  assertEquals([b.count, b.notCells], [1, 1]);
  assertEquals([...b.zyx], [3, 2, 1]);
});

Deno.test("parseDetectionsCsv() refuses a truncated file and an unknown layout, naming the file", async () => {
  const truncated = ",x,y,z\n0,1,2,3\n1,4,5";
  const e1 = await assertRejects(
    () => parseDetectionsCsv(pieces(truncated), "detected_cells.csv", SRC),
    MetadataError,
  );
  assertStringIncludes(e1.message, "truncated");
  assertStringIncludes(e1.message, SRC);
  // Cut right after a complete number: only the missing newline tells.
  const cut = ",x,y,z\n0,1,2,3\n1,4,5,6";
  assertStringIncludes(
    (await assertRejects(() => parseDetectionsCsv(pieces(cut), "detected_cells.csv", SRC), MetadataError))
      .message,
    "truncated",
  );
  const unknown = "a,b,c\n1,2,3\n";
  const e2 = await assertRejects(
    () => parseDetectionsCsv(pieces(unknown), "detected_cells.csv", SRC),
    MetadataError,
  );
  assertStringIncludes(e2.message, 'no column "x"');
  assertStringIncludes(e2.message, '"a", "b", "c"');
  assertStringIncludes(e2.message, SRC);
  const text = ",x,y,z\n0,1,oops,3\n";
  assertStringIncludes(
    (await assertRejects(() => parseDetectionsCsv(pieces(text), "detected_cells.csv", SRC), MetadataError))
      .message,
    'line 2 has "oops" in column "y"',
  );
});

const XML = `<?xml version="1.0" encoding="UTF-8"?>
<CellCounter_Marker_File>
  <Image_Properties><Image_Filename>placeholder.tif</Image_Filename></Image_Properties>
  <Marker_Data>
    <Current_Type>1</Current_Type>
    <Marker_Type>
      <Type>1</Type>
      <Marker><MarkerX>9</MarkerX><MarkerY>9</MarkerY><MarkerZ>9</MarkerZ></Marker>
    </Marker_Type>
    <Marker_Type>
      <Type>2</Type>
      <Marker>
        <MarkerX>10</MarkerX>
        <MarkerY>20</MarkerY>
        <MarkerZ>30</MarkerZ>
      </Marker>
      <Marker><MarkerX>1</MarkerX><MarkerY>2</MarkerY><MarkerZ>3</MarkerZ></Marker>
    </Marker_Type>
  </Marker_Data>
</CellCounter_Marker_File>
`;

Deno.test("parseCellfinderXml() keeps Type 2 markers, whatever the piece size", async () => {
  for (const size of [1, 5, 13, 4096]) {
    const { xyz, other } = await parseCellfinderXml(pieces(XML, size), SRC);
    assertEquals([...xyz], [10, 20, 30, 1, 2, 3]);
    assertEquals(other, 1);
  }
});

Deno.test("parseCellfinderXml() refuses a truncated file and a document that is not cellfinder's", async () => {
  for (const cut of [XML.indexOf("<MarkerY>20"), XML.indexOf("</Marker_Data>"), XML.length - 10]) {
    const error = await assertRejects(
      () => parseCellfinderXml(pieces(XML.slice(0, cut)), SRC),
      MetadataError,
    );
    assertStringIncludes(error.message, "truncated");
    assertStringIncludes(error.message, SRC);
  }
  await assertRejects(
    () => parseCellfinderXml(pieces("<html><body>Access denied</body></html>\n"), SRC),
    MetadataError,
    "not a cellfinder XML",
  );
  const bad = XML.replace("<MarkerY>20</MarkerY>", "<MarkerY></MarkerY>");
  await assertRejects(() => parseCellfinderXml(pieces(bad), SRC), MetadataError, "<MarkerY>");
});

Deno.test("decideOrder() follows the era's rule, checks it against the CCF grid and warns when ambiguous", () => {
  const csv = decideOrder("transformed_cells.csv", [500, 300, 400], {}, SRC);
  assertEquals([csv.order, csv.warnings], ["x=ap,y=dv,z=ml", []]);
  const recent = decideOrder("transformed_cells.xml", [300, 300, 300], { date: "2024-09-01" }, SRC);
  assertEquals([recent.order, recent.warnings.length], ["x=ap,y=dv,z=ml", 0]);
  const old = decideOrder("transformed_cells.xml", [300, 300, 300], { date: "2024-03-01" }, SRC);
  assertEquals(old.order, "x=ml,y=dv,z=ap");
  // The rule says AP first, but only z reaches past 456: the values win, with a warning naming the file.
  const contradicted = decideOrder("transformed_cells.xml", [400, 300, 500], { date: "2024-09-01" }, SRC);
  assertEquals(contradicted.order, "x=ml,y=dv,z=ap");
  assertStringIncludes(contradicted.warnings[0], SRC);
  // Between the eras and no value above 456: ambiguous.
  const ambiguous = decideOrder("transformed_cells.xml", [400, 300, 400], { date: "2024-07-15" }, SRC);
  assertEquals(ambiguous.order, "x=ap,y=dv,z=ml");
  assertStringIncludes(ambiguous.warnings[0], "ambiguous");
  assertStringIncludes(ambiguous.warnings[0], SRC);
  const decided = decideOrder("transformed_cells.xml", [400, 300, 500], { date: "2024-07-15" }, SRC);
  assertEquals([decided.order, decided.warnings.length], ["x=ml,y=dv,z=ap", 0]);
});

Deno.test("parseTransformedCells() turns 25 µm voxel indices into Allen µm in the decided order", async () => {
  const csv = ",x,y,z,Foreground,Background,Cell ID\n0,100.5,40,200,1,1,7\n1,500,10,20,1,1,8\n";
  const a = await parseTransformedCells(pieces(csv), "transformed_cells.csv", SRC);
  assertEquals([...a.ccf], [2512.5, 1000, 5000, 12500, 250, 500]);
  assertEquals([...a.ids!], [7, 8]);
  const xml = XML.replace("<MarkerZ>30</MarkerZ>", "<MarkerZ>500</MarkerZ>");
  // Before 2024-07: MarkerX = ML, MarkerZ = AP; every type is a cell in CCF files.
  const b = await parseTransformedCells(pieces(xml), "transformed_cells.xml", SRC, { date: "2024-01-01" });
  assertEquals(b.count, 3);
  assertEquals([...b.ccf.slice(3, 6)], [12500, 500, 250]);
});

const COUNTS_2024 =
  ",ID,Acronym,Name,Parent Region,Layer,Ancestors,Graph Order,Id,Struct_Info,Struct_area_um3,Left,Right,Total,Left_Density,Right_Density,Total_Density\n" +
  `0,997,root,root,,,"[]",0,997,mid,5.113271e+11,75190,194268,269458,1e-7,2e-7,3e-7\n` +
  `1,385,VISp,"Primary visual area",VIS,,"['root', 'grey', 'CH']",185,385,hemi,2e9,10,20,30,0,0,0\n`;

Deno.test("parseRegionCounts() reads the 2023, 2024-02, 2024-08 and 2026 column sets by name", async () => {
  const a = await parseRegionCounts(
    pieces(",Id,Structure,Struct_Info,Left,Right,Total\n0,385,VISp,hemi,1,2,3\n"),
    SRC,
  );
  assertEquals(a.layout, "2023");
  assertEquals(a.rows, [{
    id: 385,
    acronym: "VISp",
    name: undefined,
    structInfo: "hemi",
    volumeUm3: undefined,
    left: 1,
    right: 2,
    total: 3,
  }]);
  const b = await parseRegionCounts(
    pieces(
      ",Id,Structure,Struct_Info,Struct_area_um2,Left,Right,Total,Left_Density,Right_Density,Total_Density\n0,8,grey,mid,4e9,5,6,11,0,0,0\n",
    ),
    SRC,
  );
  assertEquals([b.layout, b.rows[0].volumeUm3, b.rows[0].total], ["2024-02", 4e9, 11]);
  const c = await parseRegionCounts(pieces(COUNTS_2024), SRC);
  assertEquals(c.layout, "2024-08");
  assertEquals(c.rows.map((r) => [r.id, r.acronym, r.name, r.left, r.right, r.total]), [
    [997, "root", "root", 75190, 194268, 269458],
    [385, "VISp", "Primary visual area", 10, 20, 30],
  ]);
  const header2026 = COUNTS_2024.split("\n")[0] +
    ",Left_Median_Foreground,Right_Median_Foreground,Total_Median_Foreground,Left_Median_Background,Right_Median_Background,Total_Median_Background";
  const d = await parseRegionCounts(
    pieces(`${header2026}\n0,385,VISp,x,,,"[]",1,385,hemi,1e9,1,0,1,0,0,0,5,,5,4,,4\n`),
    SRC,
  );
  assertEquals([d.layout, d.rows[0].total], ["2026", 1]);
});

Deno.test("parseRegionCounts() refuses an unknown layout and a truncated file", async () => {
  const e = await assertRejects(
    () => parseRegionCounts(pieces(",Id,Structure,L,R\n0,1,a,1,2\n"), SRC),
    MetadataError,
  );
  assertStringIncludes(e.message, 'no column "Left"');
  assertStringIncludes(e.message, '"Id", "Structure", "L", "R"');
  assertStringIncludes(e.message, SRC);
  const cut = COUNTS_2024.slice(0, COUNTS_2024.length - 12);
  await assertRejects(() => parseRegionCounts(pieces(cut), SRC), MetadataError);
});

Deno.test("aindRows() gives three rows per structure, mesh volumes per hemisphere, and flags unknown ids", async () => {
  const counts = await parseRegionCounts(pieces(COUNTS_2024), SRC);
  const ontology = {
    structures: new Map([[997, {
      id: 997,
      label: "r",
      acronym: "root",
      name: "root",
      parentId: undefined,
      depth: 0,
    }]]),
    byAcronym: new Map(),
  };
  const { rows, unknownIds } = aindRows("1", "c", counts, ontology);
  assertEquals(unknownIds, [385]);
  assertEquals(rows.length, 6);
  const root = rows.filter((r) => r.acronym === "root");
  // `mid`: the mesh spans both hemispheres: both = V, each side V/2 (µm³ → mm³: 1e-9).
  assertEquals(root.map((r) => [r.hemisphere, r.count, r.volume_mm3]), [
    ["left", 75190, 511.3271 / 2],
    ["right", 194268, 511.3271 / 2],
    ["both", 269458, 511.3271],
  ]);
  const visp = rows.filter((r) => r.acronym === "VISp");
  // `hemi`: one hemisphere's mesh: each side V, both 2V; the unknown id keeps its count, without parent.
  assertEquals(visp.map((r) => [r.count, r.volume_mm3, r.parent_id]), [[10, 2, null], [20, 2, null], [
    30,
    4,
    null,
  ]]);
  assertEquals(visp[2].density_per_mm3, 7.5);
});

Deno.test("decodeAnnotation() refuses a grid that is not the Allen CCF's extent", () => {
  const header = encodeNiftiHeader(
    { size: [10, 10, 10], spacing: 0.1, origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
    [3, 10, 10, 10, 1, 1, 1, 1],
    512,
    {},
  );
  const file = new Uint8Array(header.length + 2000);
  file.set(header);
  const error = assertThrows(() => decodeAnnotation(file, "s3://atlas/annotation_25.nii.gz"), MetadataError);
  assertStringIncludes(error.message, "13200 × 8000 × 11400");
  assert(error.message.includes("s3://atlas/annotation_25.nii.gz"));
});
