// Tests the seeded generator and the distribution helpers against closed-form values.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Discrete, Rng, gamma, paretoMean, paretoMedian, weibullMean, weibullMedian, zipf } from "../random.ts";

const close = (actual: number, expected: number, rel: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} vs ${expected} (±${rel * 100}%)`);

test("gamma matches known values", () => {
  close(gamma(5), 24, 1e-12, "Γ(5)");
  close(gamma(0.5), Math.sqrt(Math.PI), 1e-12, "Γ(1/2)");
  close(gamma(1.5), Math.sqrt(Math.PI) / 2, 1e-12, "Γ(3/2)");
  close(gamma(0.1), 9.513507698668732, 1e-12, "Γ(0.1)");
  assert.throws(() => gamma(0), /x > 0/);
});

test("closed forms of the paper's think-time distributions", () => {
  close(paretoMean({ k: 1, alpha: 1.5 }), 3.0, 1e-12, "Pareto mean");
  close(paretoMedian({ k: 1, alpha: 1.5 }), 2 ** (2 / 3), 1e-12, "Pareto median");
  // The paper rounds the Weibull(1.46, 0.382) mean to 0.343 s; Γ(1 + 1/1.46) gives 0.3460.
  close(weibullMean({ shape: 1.46, scale: 0.382 }), 0.346, 1e-3, "Weibull mean");
  close(weibullMedian({ shape: 1, scale: 2 }), 2 * Math.LN2, 1e-12, "exponential median");
});

test("Rng is deterministic per (seed, stream), streams differ, and draws are uniform", () => {
  const draw = (seed: number, stream: number) => {
    const r = new Rng(seed, stream);
    return Array.from({ length: 5 }, () => r.nextU32());
  };
  assert.equal(draw(1, 0), draw(1, 0));
  assert.not.equal(draw(1, 0), draw(1, 1));
  assert.not.equal(draw(1, 0), draw(2, 0));
  const r = new Rng(42);
  const n = 100_000;
  const bins = new Array(10).fill(0);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    bins[Math.floor(u * 10)]++;
  }
  close(sum / n, 0.5, 0.01, "mean of U(0,1)");
  const chi2 = bins.reduce((a, c) => a + (c - n / 10) ** 2 / (n / 10), 0);
  assert.ok(chi2 < 27.9, `chi-square of 10 bins ${chi2} (p=0.001 bound for 9 d.f.)`);
  const ints = new Set(Array.from({ length: 1000 }, () => r.int(5, 15)));
  assert.equal([...ints].sort((a, b) => a - b), [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  assert.throws(() => new Rng(-1), /seed/);
});

test("Discrete and Zipf draw in proportion to their weights", () => {
  const r = new Rng(7);
  const d = new Discrete([1, 0, 3]);
  const counts = [0, 0, 0];
  for (let i = 0; i < 40_000; i++) counts[d.sample(r)]++;
  assert.is(counts[1], 0);
  close(counts[2] / counts[0], 3, 0.05, "3:1 weights");
  const z = zipf(4, 1);
  const zc = [0, 0, 0, 0];
  for (let i = 0; i < 50_000; i++) zc[z.sample(r)]++;
  close(zc[0] / zc[3], 4, 0.08, "Zipf rank 1 vs rank 4");
  assert.throws(() => new Discrete([1, -1]), /non-negative/);
  assert.throws(() => zipf(0, 1), /n ≥ 1/);
});

test.run();
