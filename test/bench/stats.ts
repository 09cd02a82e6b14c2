/**
 * Pure statistics for the benchmark: no I/O, no clock.
 *
 * Quantiles use linear interpolation between closest ranks (the "type 7"
 * estimator of R and NumPy's default), so a median of an even count is the
 * mean of the two middle values.
 */

/** What the benchmark keeps of a series of repeated measurements. */
export interface Summary {
  /** How many values. */
  n: number;
  median: number;
  /** First quartile. */
  q1: number;
  /** Third quartile. */
  q3: number;
  /** `q3 - q1`. */
  iqr: number;
  /** `iqr / median`: the spread as a share of the typical value (0 when the median is 0). */
  relIqr: number;
  min: number;
  max: number;
  mean: number;
}

/** The sorted copy of `values`, ascending. */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The `p`-quantile (0 ≤ p ≤ 1) of already sorted values; NaN for none. */
export function quantileSorted(
  ascending: readonly number[],
  p: number,
): number {
  if (ascending.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 1))
    throw new RangeError(`quantile ${p} is outside [0, 1]`);
  const position = (ascending.length - 1) * p;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = ascending[below] as number;
  const high = ascending[above] as number;
  return low + (high - low) * (position - below);
}

/** The `p`-quantile of `values` (any order). */
export function quantile(values: readonly number[], p: number): number {
  return quantileSorted(sorted(values), p);
}

/** The median of `values` (any order); NaN for none. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** The interquartile range `q3 - q1`. */
export function iqr(values: readonly number[]): number {
  const ascending = sorted(values);
  return quantileSorted(ascending, 0.75) - quantileSorted(ascending, 0.25);
}

/** Median, quartiles, extremes and mean of `values`. */
export function summarize(values: readonly number[]): Summary {
  const ascending = sorted(values);
  const n = ascending.length;
  const med = quantileSorted(ascending, 0.5);
  const q1 = quantileSorted(ascending, 0.25);
  const q3 = quantileSorted(ascending, 0.75);
  const mean =
    n === 0 ? Number.NaN : ascending.reduce((sum, value) => sum + value, 0) / n;
  return {
    n,
    median: med,
    q1,
    q3,
    iqr: q3 - q1,
    relIqr: med === 0 || n === 0 ? 0 : (q3 - q1) / Math.abs(med),
    min: n === 0 ? Number.NaN : (ascending[0] as number),
    max: n === 0 ? Number.NaN : (ascending[n - 1] as number),
    mean,
  };
}

/**
 * Element-wise ratios `numerators[i] / denominators[i]`, for measurements
 * paired by round: on a noisy machine a slow round slows every variant, so the
 * ratio within a round is steadier than a ratio of two medians.
 */
export function pairedRatios(
  numerators: readonly number[],
  denominators: readonly number[],
): number[] {
  if (numerators.length !== denominators.length) {
    throw new RangeError(
      `cannot pair ${numerators.length} values with ${denominators.length}`,
    );
  }
  return numerators.map(
    (value, index) => value / (denominators[index] as number),
  );
}

/** The median of the paired ratios, with their summary. */
export function ratioSummary(
  numerators: readonly number[],
  denominators: readonly number[],
): Summary {
  return summarize(pairedRatios(numerators, denominators));
}

/**
 * Rotates `items` left by `shift` places: round `r` of an interleaved
 * benchmark runs its variants in `rotate(variants, r)` order, so no variant is
 * always first (cold) or last.
 */
export function rotate<T>(items: readonly T[], shift: number): T[] {
  const length = items.length;
  if (length === 0) return [];
  const start = ((shift % length) + length) % length;
  return [...items.slice(start), ...items.slice(0, start)];
}
