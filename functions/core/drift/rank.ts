import type { FeatureDrift } from './types.js';

/**
 * The one ordering of features: drifted first, then by stored severity descending, then by name (a total
 * order, so the same features always rank the same). compare ranks its result with it; the report and the
 * notice re-rank with it, so a stored result listed in another order still reads the same.
 */
export function byDriftThenSeverity(a: Pick<FeatureDrift, 'drift' | 'severity' | 'name'>, b: Pick<FeatureDrift, 'drift' | 'severity' | 'name'>): number {
  if (a.drift !== b.drift) return a.drift ? -1 : 1;
  if (a.severity !== b.severity) return b.severity - a.severity;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Rank features (a sorted copy) by `byDriftThenSeverity`.
 * @example
 * const top = rankFeatures(result.features).filter((f) => f.drift).slice(0, 5);
 */
export function rankFeatures<F extends Pick<FeatureDrift, 'drift' | 'severity' | 'name'>>(features: readonly F[]): F[] {
  return [...features].sort(byDriftThenSeverity);
}
