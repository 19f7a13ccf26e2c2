// Ties the runner's experiments to the claims: on results shaped exactly like a finished standard or full run, no
// part of any claim may be "not measured" (a claim whose data no experiment produces would never be judged).
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
    Object.assign(p, { run_id: "shape", figure: spec.figure, series: spec.config.label, offered_rate: spec.offeredRate, verdict: "pass", verdict_reason: "" });
    points.push(p);
    // named as the runner names a point's profile rows (point.ts)
    const series = spec.figure === "table1" ? spec.config.label : `${spec.config.label}@${spec.offeredRate}`;
    if (spec.perf) for (const row of TABLE1.filter((r) => r.section === "oprofile")) profile_.push({ run_id: "shape", series, section: "vmlinux", category: row.metric, pct: 1 });
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

test.run();
