// Tests the calibration searches and the tuning matrices with simulated measurements.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { searchQuota, searchK, fitQuota, refineQuota, REFERENCE, QUOTA_TOLERANCE, REFINE_OFFSETS, type Probe } from "../calibrate.ts";
import { Rng } from "../../workload/random.ts";
import { coarseMatrix, fineMatrix, getFamily, best, score } from "../tune.ts";

test("quota search converges within 3% on a saturating server model", async () => {
  const k = 0.5, offered = REFERENCE.offered * k, target = REFERENCE.replies * k;
  // replies = min(offered, capacity), capacity proportional to CPU: 40,000 replies/s per core
  const measure = async (q: number) => Math.min(offered, 40000 * q);
  const r = await searchQuota(measure, target);
  assert.ok(r.converged);
  assert.ok(Math.abs(40000 * r.quota - target) / target <= 0.03, `quota ${r.quota}`);
  assert.ok(r.probes.length <= 4, `${r.probes.length} probes`); // bisection alone needs 7 here
});

test("quota search still converges when replies are not proportional to CPU (falls back to bisection)", async () => {
  const target = 6000;
  const measure = async (q: number) => Math.min(7200, 9000 * Math.sqrt(q)); // concave: proportional steps overshoot
  const r = await searchQuota(measure, target);
  assert.ok(r.converged, JSON.stringify(r.probes));
  assert.ok(Math.abs(9000 * Math.sqrt(r.quota) - target) / target <= 0.03);
  assert.ok(r.probes.every((p) => p.quota > 0.02 && p.quota <= 1));
});

test("a server bistable at its knee: the quota is settled once probes on both sides are within 1%", async () => {
  const target = 6000;
  // below a quota of 0.35 the replies collapse far under the target, above it they overshoot: no probe lands within 3%
  const measure = async (q: number) => (q < 0.35 ? 4300 : 6500);
  const r = await searchQuota(measure, target, { lo: 0.2 });
  assert.ok(r.converged && r.bracketed, JSON.stringify(r.probes));
  assert.ok(Math.abs(r.quota - 0.35) / 0.35 <= QUOTA_TOLERANCE, `quota ${r.quota}`);
  assert.ok(r.probes.length <= 10, `${r.probes.length} probes`);
  const smooth = await searchQuota(async (q) => Math.min(7200, 20000 * q), target);
  assert.not.ok(smooth.bracketed, "a proportional server converges on the replies, not on a bracket");
});

/** Probes of `measure` at the refinement's offsets around `q0`. */
const refineProbes = (q0: number, measure: (q: number) => number, target: number): Probe[] =>
  REFINE_OFFSETS.map((d) => { const quota = q0 * (1 + d), replies = measure(quota); return { quota, replies, error: (replies - target) / target }; });

test("quota fit: a straight line through noise-free probes meets the target exactly", () => {
  const rng = new Rng(1);
  const f = fitQuota(refineProbes(0.3, (q) => 20000 * q, 6000), 0.3, 6000, () => rng.next());
  assert.ok(f.ok);
  assert.ok(Math.abs(f.quota - 0.3) < 1e-9, String(f.quota));
  assert.ok(f.ci95 && f.ci95[0] <= 0.3 && f.ci95[1] >= 0.3);
});

test("quota fit fails on a flat reply rate (no slope to place the target)", () => {
  const rng = new Rng(2);
  const f = fitQuota(refineProbes(0.3, () => 5000, 6000).map((p, i) => ({ ...p, replies: 5000 - i })), 0.3, 6000, () => rng.next());
  assert.not.ok(f.ok);
});

/** Calibrates a simulated server 60 times (search, then refinement) and compares both answers with the quota q* at
 *  which its expected reply rate meets 6,000. */
async function simulate(measureOf: (rng: Rng) => (q: number) => number, qStar: number) {
  const fits: number[] = [], searched: number[] = [];
  let covered = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const rng = new Rng(seed);
    const measure = measureOf(rng);
    const s = await searchQuota(async (q) => measure(q), 6000, { lo: 0.2 });
    searched.push(s.quota);
    const { fit } = await refineQuota(async (q) => measure(q), s.quota, 6000, { earlier: s.probes, rng, min: 0.2 });
    if (fit.ok) fits.push(fit.quota);
    if (fit.ci95 && fit.ci95[0] <= qStar && qStar <= fit.ci95[1]) covered++;
  }
  const err = (xs: number[]) => xs.reduce((a, x) => a + Math.abs(x / qStar - 1), 0) / xs.length;
  return { converged: fits.length, covered, errFit: err(fits), errSearch: err(searched) };
}

test("refinement on a server bistable at its knee: nearer the expected crossing than the bracket search", async () => {
  // Each probe lands in the high regime (6,500 at 0.35) with a probability rising over a few % of quota, else in the
  // low one (4,300): the expected reply rate crosses 6,000 at q*; a single probe is a coin toss.
  const high = (q: number) => 1 / (1 + Math.exp(-(q - 0.35) / 0.006));
  const expected = (q: number) => (q / 0.35) * (4300 + high(q) * 2200);
  let qStar = 0.3;
  while (expected(qStar) < 6000) qStar += 1e-5;
  const r = await simulate((rng) => (q) => (q / 0.35) * (rng.next() < high(q) ? 6500 : 4300), qStar);
  assert.ok(r.converged >= 57, `${r.converged} of 60 converged`);
  assert.ok(r.errFit < r.errSearch && r.errFit < 0.02, `mean error: fit ${r.errFit.toFixed(4)}, search ${r.errSearch.toFixed(4)}`);
  assert.ok(r.covered >= 45, `the 95% interval covered q* in ${r.covered} of 60`);
});

test("refinement on a noisy server that saturates at the offered rate: the search's lucky stop is corrected", async () => {
  // replies rise with the quota until 97% of the 7,200 offered, each probe ±8% (as measured near the knee on the
  // testbed); the search stops on the first probe within 3% of 6,000, often a low draw on the flat part
  const r = await simulate((rng) => (q) => Math.min(6984, 20000 * q) * (1 + 0.16 * (rng.next() - 0.5)), 0.3);
  assert.ok(r.converged >= 54, `${r.converged} of 60 converged`);
  assert.ok(r.errFit < r.errSearch && r.errFit < 0.04, `mean error: fit ${r.errFit.toFixed(4)}, search ${r.errSearch.toFixed(4)}`);
  assert.ok(r.covered >= 45, `the 95% interval covered q* in ${r.covered} of 60`);
});

test("quota search reports failure when even a whole core cannot reach the target", async () => {
  const r = await searchQuota(async (q) => 1000 * q, 5000);
  assert.not.ok(r.converged);
  assert.is(r.probes.length, 1);
});

test("k search takes the largest k where the clients keep up", async () => {
  const r = await searchK(async (k) => k <= 0.4);
  assert.is(r.k, 0.4);
  assert.equal(r.tried.map((t) => t.ok), [false, false, true]);
  assert.is((await searchK(async () => false, [0.2, 0.1])).k, null);
});

test("tuning: coarse matrix is the cross product; fine matrix surrounds the best without repeats", () => {
  const f = getFamily("knot-b");
  const coarse = coarseMatrix(f);
  assert.is(coarse.length, 12);
  assert.ok(coarse.some((c) => c.label === "knot-b-20K-100w"));
  const tried = new Set(coarse.map((c) => c.label));
  const fine = fineMatrix(f, coarse.find((c) => c.label === "knot-b-20K-100w")!, tried);
  assert.ok(fine.length > 0 && fine.every((c) => !tried.has(c.label)));
  assert.ok(fine.some((c) => c.label === "knot-b-15K-67w") && fine.some((c) => c.label === "knot-b-25K-150w"), fine.map((c) => c.label).join());
  assert.throws(() => getFamily("apache"), /valid: userver-nb, /);
});

test("tuning: a configuration with a failing point loses to a passing one", () => {
  const rows = [
    { series: "a", throughput_mbps: "1200", verdict: "pass" }, { series: "a", throughput_mbps: "1000", verdict: "fail-timeouts" },
    { series: "b", throughput_mbps: "900", verdict: "pass" }, { series: "b", throughput_mbps: "950", verdict: "pass" },
  ];
  assert.is(best([score("a", rows), score("b", rows)])!.label, "b");
});

test.run();
