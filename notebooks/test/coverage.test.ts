// Ties the runner's experiments to the claims: on results shaped exactly like a finished standard or full run, no
// part of any claim may be "not measured" (a claim whose data no experiment produces would never be judged), and
// every comparison between our lines rests on at least three trials.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PROFILES, runMatrix } from "../../harness/runner/experiments.ts";
import { evaluateClaims } from "../lib/claims.ts";
import { TABLE1 } from "../lib/paper.ts";
import { POINT_COLUMNS, type Point, type ProfileRow, type Results } from "../lib/results.ts";

/** Every point of a profile's matrix, passing, with made-up numbers (what is judged here is only what exists). */
function shapedLike(profile: keyof typeof PROFILES): Results {
  const points: Point[] = [];
  const profile_: ProfileRow[] = [];
  for (const spec of runMatrix(PROFILES[profile])) {
    const p = Object.fromEntries(POINT_COLUMNS.map((c) => [c, 1])) as unknown as Point;
    // throughput peaks at 15,000 req/s, as the paper's lines do near saturation
    const mbps = Math.min(spec.offeredRate, 30000 - spec.offeredRate) || 1;
    Object.assign(p, { run_id: "shape", figure: spec.figure, series: spec.config.label, offered_rate: spec.offeredRate, trial: spec.trial,
      throughput_mbps: mbps, verdict: "pass", verdict_reason: "" });
    points.push(p);
    // named as the runner names a point's profile rows (point.ts)
    const series = spec.figure === "table1" ? spec.config.label : `${spec.config.label}@${spec.offeredRate}`;
    if (spec.perf) for (const row of TABLE1.filter((r) => r.section === "oprofile")) profile_.push({ run_id: "shape", series, trial: spec.trial ?? 1, section: "vmlinux", category: row.metric, pct: 1 });
  }
  const figure_lines: Record<string, string[]> = {};
  for (const spec of runMatrix(PROFILES[profile])) figure_lines[spec.figure] = [...new Set([...(figure_lines[spec.figure] ?? []), spec.config.label])];
  return { dir: "", run: { k: 1, figure_lines }, points, profile: profile_ };
}

for (const profile of ["standard", "full"] as const) {
  test(`every part of every claim is measurable by the ${profile} profile's matrix`, () => {
    const unmeasured = evaluateClaims(shapedLike(profile)).flatMap((c) => c.parts.filter((p) => p.ours === "not measured").map((p) => `${c.id}: ${p.what}`));
    assert.equal(unmeasured, []);
  });
}

test("every comparison between our lines in the standard profile rests on at least three trials", () => {
  const few = evaluateClaims(shapedLike("standard")).flatMap((c) => c.parts
    .filter((p) => p.difference !== undefined || p.summary !== undefined) // effects, equivalences, relations (levels are beside the paper's)
    .flatMap((p) => [...p.ours.matchAll(/n = (\d+)/g)].filter((m) => Number(m[1]) < 3).map(() => `${c.id}: ${p.what}: ${p.ours}`)));
  assert.equal(few, []);
});

test.run();
