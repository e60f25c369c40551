/**
 * The notebook figures read well: no two labels overlap and titles are large and dark on a light ground.
 * Measured by a browser (headless Chromium lays the SVG out and reports each text's box and colour), not
 * by the code's own estimate of text widths.
 *
 * Needs `chromium` (Debian's package): without it the layout test is skipped locally, saying so, and fails
 * in CI.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { histogramView, projectionsView } from "../../lib/display/mod.ts";
import { labelRows } from "../../lib/display/figures.ts";
import { syntheticBrain } from "../../testing/smartspim_dataset.ts";

Deno.test("labelRows() puts a label that would touch the one before it on the next free row", () => {
  assertEquals(labelRows([{ from: 0, to: 40 }, { from: 10, to: 50 }, { from: 60, to: 90 }]), [0, 1, 0]);
  // Order of the input does not matter; the first row that has room is used again.
  assertEquals(labelRows([{ from: 45, to: 80 }, { from: 0, to: 40 }, { from: 20, to: 30 }]), [0, 0, 1]);
  assertEquals(labelRows([undefined, { from: 0, to: 10 }]), [-1, 0]);
});

async function chromium(): Promise<string | undefined> {
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    try {
      const out = await new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
        .output();
      if (out.success) return name;
    } catch {
      // Not installed under this name.
    }
  }
  return undefined;
}

const browser = await chromium();
const inCi = Deno.env.get("CI") === "true";
if (!browser && !inCi) console.warn("WARNING: figure layout test SKIPPED: chromium not installed.");

/** What the browser measured of each text: its box, font size, weight and colour. */
interface TextBox {
  text: string;
  x: number;
  y: number;
  width: number;
  height: number;
  size: number;
  weight: string;
  color: string;
}

/** Lays a page out in headless Chromium and returns every SVG text's measured box. */
async function measureTexts(html: string): Promise<TextBox[]> {
  const dir = await Deno.makeTempDir();
  try {
    const script = `<script>addEventListener("load", () => {
      const out = [...document.querySelectorAll("svg text")].map((t) => {
        const r = t.getBoundingClientRect(); const s = getComputedStyle(t);
        return { text: t.textContent, x: r.x, y: r.y, width: r.width, height: r.height,
          size: parseFloat(s.fontSize), weight: s.fontWeight, color: s.fill };
      });
      const pre = document.createElement("pre"); pre.id = "measured"; pre.textContent = JSON.stringify(out);
      document.body.append(pre);
    });</script>`;
    await Deno.writeTextFile(`${dir}/page.html`, `<html><body>${html}${script}</body></html>`);
    const out = await new Deno.Command(browser!, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--virtual-time-budget=5000",
        "--dump-dom",
        `file://${dir}/page.html`,
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
    const dom = new TextDecoder().decode(out.stdout);
    const json = /<pre id="measured">([\s\S]*?)<\/pre>/.exec(dom)?.[1];
    assert(json, "the browser reported no measurements");
    return JSON.parse(
      json.replaceAll("&quot;", '"').replaceAll("&amp;", "&").replaceAll("&lt;", "<")
        .replaceAll("&gt;", ">"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Pairs of texts whose boxes overlap. */
function overlaps(boxes: TextBox[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) {
        found.push(`"${a.text}" and "${b.text}"`);
      }
    }
  }
  return found;
}

/** Relative luminance of an `rgb(r, g, b)` colour (WCAG). */
function luminance(color: string): number {
  const [r, g, b] = (color.match(/\d+(\.\d+)?/g) ?? ["0", "0", "0"]).slice(0, 3).map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

Deno.test({
  name: browser || inCi
    ? "projection and histogram labels do not overlap; titles are large and dark on white (measured in Chromium)"
    : "projection and histogram labels do not overlap (SKIPPED: chromium not installed)",
  ignore: !browser && !inCi,
  async fn(): Promise<void> {
    if (!browser) {
      throw new Error("Cannot lay figures out in CI: chromium is not installed (.ci/run installs it)");
    }
    // A mostly dark volume: its p1 and p50 are close, the case where histogram labels used to overlap.
    const shape: [number, number, number] = [64, 96, 80];
    const volume = { data: syntheticBrain(shape), shape, dtype: "uint16" as const };
    const projections = projectionsView(volume, { spacing: [0.032, 0.0288, 0.0288] }).bundle["text/html"]!;
    const histogram = histogramView(volume).bundle["text/html"]!;
    for (const [name, html] of [["projections", projections], ["histogram", histogram]]) {
      const boxes = await measureTexts(html);
      assert(boxes.length >= 3, `${name}: ${boxes.length} texts measured`);
      assertEquals(overlaps(boxes), [], `${name}: overlapping labels`);
    }
    const boxes = await measureTexts(projections);
    const titles = boxes.filter((b) => b.text.startsWith("max along"));
    assertEquals(titles.length, 3);
    for (const title of titles) {
      assert(title.size >= 13, `"${title.text}" is ${title.size} px`);
      assert(
        Number(title.weight) >= 600 || title.weight === "bold",
        `"${title.text}" weight ${title.weight}`,
      );
      // On the figure's white ground, WCAG contrast (1.05 / (L + 0.05)) of at least 7:1 (AAA).
      const contrast = 1.05 / (luminance(title.color) + 0.05);
      assert(
        contrast >= 7,
        `"${title.text}" (${title.color}) has contrast ${contrast.toFixed(1)}:1 on white`,
      );
    }
    assert(
      projections.includes(`<rect width="100%" height="100%" fill="#fff"/>`),
      "the figure has a white ground",
    );
  },
});
