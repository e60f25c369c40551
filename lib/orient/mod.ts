/**
 * Step 4 of the reference notebook, **orient**: the direction matrix, origin and ITK code of a level from
 * the acquisition's axes, the RAS affine NIfTI stores, and orientation codes in every convention (nibabel,
 * ITK, BrainGlobe, AIND, OME-NGFF RFC-4) with the permutation and flips between any two of the 48.
 * Public as `@spimfetch/spimfetch/orient` (also `@spimfetch/spimfetch/orientation`, its earlier name).
 *
 * @module
 */
export {
  computeOrientation,
  type ComputeOrientationOptions,
  indexToPhysical,
  type Orientation,
  type OrientedAxis,
  toRasAffine,
} from "./orient.ts";
export {
  type AnatomicalAxes,
  convertOrientation,
  type ConvertOrientationOptions,
  type NgffOrientation,
  oppositeTerm,
  orientationCode,
  type OrientationCodeOf,
  type OrientationCodes,
  orientationCodes,
  type OrientationConvention,
  orientationOfAcquisition,
  parseOrientation,
} from "./codes.ts";
export {
  type AxisTransform,
  describeTransform,
  isIdentityTransform,
  orientationOfDirection,
  orientationTransform,
} from "./transform.ts";
