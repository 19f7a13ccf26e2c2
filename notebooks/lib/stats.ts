// The statistics of a point measured in several trials: median, a distribution-free confidence interval for it, spread.
//
// The interval is the order-statistic (binomial) one: for a sample of n from any continuous distribution, the
// true median lies between the k-th smallest and the k-th largest value with probability 1 − 2·P(Bin(n, ½) < k),
// exactly. Chosen over a bootstrap because it makes no assumption on the shape of the data (Maricq et al., OSDI
// 2018: such data is not normal), is exact rather than approximate at the three to five trials a run affords, and is
// the same on every machine. At n < 6 no pair of order statistics reaches 95%: the interval is then the whole range
// (k = 1) and its coverage 1 − 2·0.5^n is reported as it is (n = 3: 75%; n = 5: 93.75%).

/** The nominal coverage asked of an interval. */
export const CONFIDENCE = 0.95;

export interface Summary {
  n: number;
  median: number;
  /** the interval for the median: the k-th smallest and k-th largest value */
  lo: number;
  hi: number;
  /** its exact coverage (0 for n = 1: one value is no interval) */
  coverage: number;
  /** max − min, and the same relative to the median */
  spread: number;
  relSpread: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** P(Bin(n, ½) ≤ j). */
function binomialCdfHalf(n: number, j: number): number {
  let term = 0.5 ** n, sum = 0; // C(n, 0) / 2^n, then C(n, i) / 2^n by the ratio (n − i + 1) / i
  for (let i = 0; i <= j; i++) {
    if (i > 0) term *= (n - i + 1) / i;
    sum += term;
  }
  return sum;
}

/** Coverage of the interval [k-th smallest, k-th largest] of n values (1 ≤ k ≤ n/2). */
export function orderCoverage(n: number, k: number): number {
  return 1 - 2 * binomialCdfHalf(n, k - 1);
}

/** The rank k (1-based) of the interval for n values: the largest whose coverage is at least `level`; 1 (the whole
 *  range) when none is. */
export function orderRank(n: number, level = CONFIDENCE): number {
  let k = 1;
  while (k + 1 <= n / 2 && orderCoverage(n, k + 1) >= level) k++;
  return k;
}

/** Median, interval, coverage and spread of a sample (NaN values left out); undefined when none is left. */
export function summarize(values: number[], level = CONFIDENCE): Summary | undefined {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const n = s.length;
  if (!n) return undefined;
  const k = orderRank(n, level);
  const med = median(s);
  const spread = s[n - 1] - s[0];
  return { n, median: med, lo: s[k - 1], hi: s[n - k], coverage: n > 1 ? orderCoverage(n, k) : 0, spread, relSpread: med ? spread / Math.abs(med) : NaN };
}
