// Tests the calibration searches and the tuning matrices with simulated measurements.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { searchQuota, searchK, REFERENCE, QUOTA_TOLERANCE } from "../calibrate.ts";
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
