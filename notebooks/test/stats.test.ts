// Tests the trials' statistics: exact order-statistic ranks and coverages, and the coverage of the interval over
// many simulated samples from a normal and a skewed distribution.
import { Rng } from "../../harness/workload/random.ts";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { median, orderCoverage, orderRank, summarize } from "../lib/stats.ts";

test("median, spread and the interval of small samples: the whole range, with coverage 1 − 2·0.5^n", () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  const s = summarize([100, 90, NaN, 120])!;
  assert.equal(s, { n: 3, median: 100, lo: 90, hi: 120, coverage: 0.75, spread: 30, relSpread: 0.3 });
  for (let n = 2; n < 6; n++) {
    assert.is(orderRank(n), 1);
    assert.ok(Math.abs(summarize(Array.from({ length: n }, (_, i) => i))!.coverage - (1 - 2 * 0.5 ** n)) < 1e-12, `n = ${n}`);
  }
  assert.is(summarize([5])!.coverage, 0, "one value is no interval");
  assert.is(summarize([NaN]), undefined);
});

test("exact ranks: the largest k whose coverage reaches 95% (n = 20: the 6th and 15th values, 95.86%)", () => {
  // n → k, from the binomial(n, ½) distribution
  const expected: Record<number, number> = { 6: 1, 7: 1, 8: 1, 9: 2, 10: 2, 11: 2, 12: 3, 15: 4, 20: 6, 30: 10 };
  for (const [n, k] of Object.entries(expected)) assert.is(orderRank(Number(n)), k, `n = ${n}`);
  assert.ok(Math.abs(orderCoverage(20, 6) - 0.958610534667969) < 1e-12);
  assert.ok(Math.abs(orderCoverage(9, 2) - (1 - 2 * 10 / 512)) < 1e-12);
  const s = summarize(Array.from({ length: 20 }, (_, i) => 20 - i))!; // 1 … 20 in any order
  assert.equal([s.lo, s.hi], [6, 15]);
});

test("coverage over simulated samples is at least the stated one, for a normal and a skewed (log-normal) distribution", () => {
  const rng = new Rng(1);
  const u = () => 1 - rng.next(); // (0, 1]: the logarithm below needs u > 0
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const distributions = [
    { name: "normal(1000, 100)", draw: () => 1000 + 100 * normal(), median: 1000 },
    { name: "log-normal(0, 1)", draw: () => Math.exp(normal()), median: 1 },
  ];
  const runs = 4000;
  for (const d of distributions) {
    for (const n of [3, 5, 10, 20]) {
      let covered = 0, stated = 0;
      for (let i = 0; i < runs; i++) {
        const s = summarize(Array.from({ length: n }, d.draw))!;
        if (s.lo <= d.median && d.median <= s.hi) covered++;
        stated = s.coverage;
      }
      // three standard errors of the simulated share below the exact coverage would be a real shortfall
      const se = Math.sqrt((stated * (1 - stated)) / runs);
      assert.ok(covered / runs >= stated - 3 * se, `${d.name}, n = ${n}: ${covered / runs} < ${stated}`);
      assert.ok(n < 6 || stated >= 0.95, `n = ${n}: stated ${stated}`);
    }
  }
});

test.run();
