/**
 * The mergeable statistical signature of a dataset (pure core): build it from column batches, merge,
 * serialise canonically, parse with validation, and read sketches/histograms for the drift tests.
 */
export * from './types.js';
export { SignatureBuilder, defaultRole, signatureOf } from './builder.js';
export type { SignatureOptions } from './builder.js';
export { mergeAll, mergeSignatures } from './merge.js';
export { packSignature, parseSignature, serializeSignature, datasetSignatureSchema, SIGNATURE_PACKING, SIGNATURE_SCHEMA_VERSION } from './serialize.js';
export { histogramOn, numericSignatureOf, variance, DEFAULT_HISTOGRAM_BINS, EXACT_VALUES_MAX, CENTRE_RATIO, centreFrameFor, type CentreFrame } from './numeric.js';
export { categoricalSignatureOf, estimateDistinct, DEFAULT_TOP_K } from './categorical.js';
export {
  sketchBoundaries,
  sketchCdf,
  sketchCount,
  sketchQuantile,
  DEFAULT_RELATIVE_ACCURACY,
  MIN_INDEXABLE,
  MAX_BUCKETS,
} from './sketch.js';
