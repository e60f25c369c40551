/**
 * Pipeline LS headers of the synthetic registered assets, worked out by hand
 * from their acquisition axes, spacing and capsule version (not by the code
 * under test).
 */

type Vec3 = [number, number, number];

/**
 * The pipeline LS position of a level-0 index (z, y, x), worked by hand per asset:
 * direction columns from the acquisition axes, spacing (fixed or stored), RAS corner at (−1.5114, −1.5, 1.5).
 */
export function handPipelineLps(subject: string, zyx: readonly number[]): Vec3 {
  const [k, j, i] = zyx; // Zarr (z, y, x) = ITK (k, j, i)
  const [nx, ny] = [48, 56];
  switch (subject) {
    case "700001": { // seed axes (x → R, y → A, z → I), 0.0.25: spacing 0.0018, 0.0018, 0.002
      const o = [-1.5114 + 0.0018 * (nx - 1), -1.5 + 0.0018 * (ny - 1), 1.5];
      return [o[0] - 0.0018 * i, o[1] - 0.0018 * j, o[2] - 0.002 * k];
    }
    case "700002":
    case "700006": { // seed axes; 0.0.33 and 0.0.32 keep the stored spacing
      const [sx, sy, sz] = [0.18, 0.18, 0.2];
      const o = [-1.5114 + sx * (nx - 1), -1.5 + sy * (ny - 1), 1.5];
      return [o[0] - sx * i, o[1] - sy * j, o[2] - sz * k];
    }
    case "700003": { // x → P (+y), y → L (+x), z → S (+z); stored spacing x 0.17, y 0.2, z 0.19; superior corner k = 39
      const o = [-1.5114, -1.5, 1.5 - 0.19 * 39];
      return [o[0] + 0.2 * j, o[1] + 0.17 * i, o[2] + 0.19 * k];
    }
  }
  throw new Error(subject);
}

/**
 * The inverse for the seed-axis assets 700002 and 700006 (stored spacing): continuous level-0 (z, y, x).
 */
export function handLpsToZarr(subject: "700002" | "700006", lps: readonly number[]): Vec3 {
  const [nx, ny] = [48, 56];
  const [sx, sy, sz] = [0.18, 0.18, 0.2];
  const o = [-1.5114 + sx * (nx - 1), -1.5 + sy * (ny - 1), 1.5];
  void subject;
  return [(o[2] - lps[2]) / sz, (o[1] - lps[1]) / sy, (o[0] - lps[0]) / sx];
}
