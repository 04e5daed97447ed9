/** The stored shape of one slice's drift result (drift/slices.ts computes it; the result schema holds it). */
import { z } from 'zod';
import { jsonNumberSchema as num } from './json-number.js';

/** One slice's result. */
export const sliceDriftSchema = z.object({
  column: z.string(),
  /** The slice value, or `other` (every value outside the top K, and null); see `isOther`. */
  value: z.string(),
  isOther: z.boolean(),
  status: z.enum(['ok', 'insufficient-data', 'data-quality']),
  rows: z.object({ reference: num, current: num }),
  /** Share of the current window's rows in this slice. */
  share: num,
  /** The slice's own check: its action and drift index. */
  action: z.enum(['none', 'watch', 'drift', 'data-quality']),
  severity: num,
  /** severity × min(1, share / minActionShare). */
  weighted: num,
  /** Smallest gate p-value of the slice's drifted features (raw). */
  pValue: num,
  /**
   * Smallest Benjamini–Hochberg adjusted p-value of the slice's drifted features, over every (slice,
   * feature) pair judged (1 when none drifted). Absent in results stored before the BH family.
   */
  qValue: num.optional(),
  /** The false discovery rate `qValue` had to beat (0 for a slice not judged; older results: a Bonferroni level for `pValue`). */
  level: num,
  /** Whether the slice drifted after multiplicity control. */
  alarm: z.boolean(),
  /** What moved: the slice's drifted features with their explanation. */
  drifted: z.array(z.object({ name: z.string(), test: z.string(), score: num, threshold: num, explanation: z.string() })),
});
export type SliceDrift = z.infer<typeof sliceDriftSchema>;
