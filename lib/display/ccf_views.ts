/**
 * Notebook pictures of images on the CCF grid: the three central slices
 * (coronal, sagittal, horizontal) of several images side by side, e.g. the
 * brain resampled into CCF beside the CCF average template.
 *
 * @module
 */
import { Display, escapeHtml } from "./display.ts";
import { encodePng, windowLevel } from "./png.ts";
import { openNiftiStream } from "../ccf/mod.ts";

/** The three central slices of a PIR image (i → posterior, j → inferior, k → right). */
export interface CcfSlices {
  /** A caption. */
  title: string;
  /** Sizes (i, j, k). */
  size: [number, number, number];
  /** i = middle: rows j (dorsal first), columns k (left to right); `nj × nk`. */
  coronal: Float32Array;
  /** k = middle: rows j, columns i (anterior to posterior); `nj × ni`. */
  sagittal: Float32Array;
  /** j = middle: rows i (anterior first), columns k; `ni × nk`. */
  horizontal: Float32Array;
}

/**
 * Reads the three central slices of a 3-D NIfTI image on a PIR grid (a
 * spimfetch `ccf` output, AIND's `moved_ls_to_ccf.nii.gz`, the CCF average
 * template), streaming it plane by plane.
 *
 * @example
 * ```ts ignore
 * import { readCcfSlices } from "./ccf_views.ts";
 * const slices = await readCcfSlices(await Deno.readFile("brain_ccf.nii.gz"), "brain");
 * ```
 * @param bytes The file (gzipped or not).
 * @param title A caption.
 * @returns The slices.
 * @throws {MetadataError} If the file is not a 3-D NIfTI-1 image.
 */
export async function readCcfSlices(bytes: Uint8Array, title: string): Promise<CcfSlices> {
  const stream = await openNiftiStream(bytes, title);
  const [ni, nj, nk] = stream.size;
  const [mi, mj, mk] = [ni >> 1, nj >> 1, nk >> 1];
  const coronal = new Float32Array(nj * nk);
  const sagittal = new Float32Array(nj * ni);
  const horizontal = new Float32Array(ni * nk);
  for (let k = 0; k < nk; k++) {
    const plane = await stream.read(ni * nj);
    if (k === mk) sagittal.set(plane);
    for (let j = 0; j < nj; j++) coronal[j * nk + k] = plane[j * ni + mi];
    for (let i = 0; i < ni; i++) horizontal[i * nk + k] = plane[mj * ni + i];
  }
  return { title, size: [ni, nj, nk], coronal, sagittal, horizontal };
}

function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(q * values.length))];
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/**
 * A table of pictures: one row per image, its coronal, sagittal and
 * horizontal central slices, each windowed between the 0.5th and 99.5th
 * percentiles of the image's non-zero values in those slices.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { ccfSlicesView } from "./ccf_views.ts";
 * const ramp = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i);
 * const view = ccfSlicesView([{
 *   title: "ramp", size: [4, 3, 2], coronal: ramp(6), sagittal: ramp(12), horizontal: ramp(8),
 * }]);
 * assertStringIncludes(view.bundle["text/html"]!, "data:image/png;base64,");
 * ```
 * @param images The images' slices (the same grid for a fair comparison).
 * @returns The display.
 */
export function ccfSlicesView(images: readonly CcfSlices[]): Display {
  const rows = images.map((image) => {
    const [ni, nj, nk] = image.size;
    const nonzero: number[] = [];
    for (const slice of [image.coronal, image.sagittal, image.horizontal]) {
      for (let v = 0; v < slice.length; v += 7) if (slice[v] !== 0) nonzero.push(slice[v]);
    }
    const low = percentile(nonzero, 0.005), high = percentile(nonzero, 0.995);
    const png = (data: Float32Array, width: number, height: number): string => {
      const gray = new Uint8Array(width * height);
      for (let v = 0; v < gray.length; v++) gray[v] = windowLevel(data[v], low, high);
      return `<img src="data:image/png;base64,${
        base64(encodePng({ width, height, channels: 1, data: gray }))
      }" style="image-rendering: pixelated; max-width: 320px">`;
    };
    return `<tr><th>${escapeHtml(image.title)}</th><td>${png(image.coronal, nk, nj)}</td><td>${
      png(image.sagittal, ni, nj)
    }</td><td>${png(image.horizontal, nk, ni)}</td></tr>`;
  });
  const html = `<table><tr><th></th><th>coronal (middle AP; dorsal up, left to right)</th>` +
    `<th>sagittal (middle ML; dorsal up, anterior left)</th><th>horizontal (middle DV; anterior up)</th></tr>` +
    `${rows.join("")}</table>`;
  const text = images.map((i) => `${i.title}: ${i.size.join(" × ")} voxels, central slices`).join("\n");
  return new Display({ "text/plain": text, "text/html": html });
}
