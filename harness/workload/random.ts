// Seeded random numbers and the distributions of the workload model (discrete mixes, Zipf, Pareto, Weibull).

/** splitmix32 step: spreads a 32-bit seed over the generator state so that nearby seeds give unrelated streams. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * xoshiro128** generator. Deterministic from (seed, stream): stream lets independent users of one seed
 * (e.g. one session-log file each) draw without disturbing each other.
 */
export class Rng {
  private s = new Uint32Array(4);

  constructor(seed: number, stream = 0) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer 0..2^32-1, got ${seed}`);
    let x = splitmix32(seed ^ splitmix32(stream));
    for (let i = 0; i < 4; i++) this.s[i] = x = splitmix32(x + i);
    if (this.s.every((v) => v === 0)) this.s[0] = 1; // the all-zero state would repeat forever
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** A copy of `items` in a uniformly random order (Fisher–Yates, last place first). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Draws indices 0..n-1 with probabilities proportional to the given weights (cumulative table + binary search). */
export class Discrete {
  private readonly cdf: Float64Array;

  constructor(weights: ReadonlyArray<number>) {
    if (weights.length === 0 || weights.some((w) => !(w >= 0 && Number.isFinite(w)))) {
      throw new RangeError(`weights must be finite and non-negative, got [${weights.join(", ")}]`);
    }
    const total = weights.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new RangeError("weights must not all be zero");
    this.cdf = new Float64Array(weights.length);
    let acc = 0;
    weights.forEach((w, i) => (this.cdf[i] = acc += w / total));
    this.cdf[weights.length - 1] = 1; // absorb rounding so that every u < 1 lands in the table
  }

  sample(rng: Rng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u < this.cdf[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Zipf over ranks 1..n: P(rank r) ∝ 1/r^alpha. Returns the 0-based rank (0 is the most popular). */
export function zipf(n: number, alpha: number): Discrete {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Zipf needs n ≥ 1 ranks, got ${n}`);
  return new Discrete(Array.from({ length: n }, (_, r) => 1 / (r + 1) ** alpha));
}

/** Pareto(k, alpha): P(X > x) = (k/x)^alpha for x ≥ k. Mean k·alpha/(alpha−1) for alpha > 1; infinite variance for alpha ≤ 2. */
export interface Pareto { k: number; alpha: number }
export function samplePareto(rng: Rng, p: Pareto): number {
  return p.k / (1 - rng.next()) ** (1 / p.alpha);
}
export function paretoMean(p: Pareto): number {
  return p.alpha > 1 ? (p.k * p.alpha) / (p.alpha - 1) : Infinity;
}
export function paretoMedian(p: Pareto): number {
  return p.k * 2 ** (1 / p.alpha);
}

/** Weibull(shape, scale): P(X > x) = exp(−(x/scale)^shape). Mean scale·Γ(1 + 1/shape). */
export interface Weibull { shape: number; scale: number }
export function sampleWeibull(rng: Rng, w: Weibull): number {
  return w.scale * (-Math.log(1 - rng.next())) ** (1 / w.shape);
}
export function weibullMean(w: Weibull): number {
  return w.scale * gamma(1 + 1 / w.shape);
}
export function weibullMedian(w: Weibull): number {
  return w.scale * Math.LN2 ** (1 / w.shape);
}

// Lanczos approximation (g = 7, 9 terms): relative error below 1e-13 for the positive arguments used here.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** The gamma function Γ(x) for x > 0. */
export function gamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`gamma needs x > 0, got ${x}`);
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x)); // reflection keeps the series accurate
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return Math.sqrt(2 * Math.PI) * t ** (x + 0.5) * Math.exp(-t) * a;
}
