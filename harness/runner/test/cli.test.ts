// Tests the command line without a testbed: dry runs print the matrix and its time; bad input is refused with the valid choices.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROFILES } from "../experiments.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout + r.stderr };
};

test("dry runs: the quick replication's matrix and time; Figure 7 alone; a tuning matrix", () => {
  const q = cli("replicate", "--profile", "quick", "--dry-run");
  assert.is(q.code, 0, q.out);
  assert.match(q.out, /39 points, 8 configurations/);
  assert.match(q.out, /table1 +knot-c-20K-100w-1000MB \(perf\) +12000/);
  const f7 = cli("run", "--experiment", "fig7", "--profile", "standard", "--series", "knot-b-20K-100w", "--dry-run");
  assert.match(f7.out, /fig7 +knot-b-20K-100w +5000, 10000, 12500, 15000, 20000, 25000, 30000/);
  assert.match(f7.out, /7 points, 1 configurations/);
  assert.match(cli("tune", "--family", "watpipe", "--dry-run").out, /18 points, 9 configurations/);
});

test("a run extended with another figure measures only the lines it does not have (a dry run on a made-up run)", () => {
  const results = mkdtempSync(join(tmpdir(), "cli-extend-"));
  try {
    const run = (id: string, matrix: object, plan = PROFILES.standard.plan) => {
      mkdirSync(join(results, id));
      writeFileSync(join(results, id, "run.json"),
        JSON.stringify({ run_id: id, profile: "standard", profile_settings: { ...PROFILES.standard, plan }, k: 0.6, matrix }));
    };
    run("whole", { experiments: ["table1", "fig7"] });
    const r = cli("run", "--resume", "whole", "--experiment", "fig4", "--results", results, "--dry-run");
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /adding fig4/);
    assert.match(r.out, /fig4 +userver-nb-30K-3p +5000/);
    assert.not.match(r.out, /fig4 +userver-nb-30K-4p/); // Figure 7 measures it (and Table 1's profiled point is apart)
    assert.match(r.out, /98 points/); // Table 1: 7; Figure 7: 8 × 7; Figure 4: 5 new lines × 7
    // a run begun before the profile had the repeats takes them with the profile's present rates
    const { repeat: _, ...before } = PROFILES.standard.plan;
    run("older", { experiments: ["fig7"] }, before);
    const o = cli("run", "--resume", "older", "--experiment", "repeat", "--results", results, "--dry-run");
    assert.is(o.code, 0, o.out);
    assert.match(o.out, /repeat +knot-b-20K-100w +15000, 30000/);
    assert.match(o.out, /72 points/); // Figure 7: 8 × 7 (none there yet); the repeats: 8 × 2
    run("some", { experiments: ["fig7"], series: ["knot-b-20K-100w"] });
    const s = cli("run", "--resume", "some", "--experiment", "fig3", "--results", results, "--dry-run");
    assert.is(s.code, 1, s.out);
    assert.match(s.out, /restricted to some series or rates/);
    assert.match(cli("run", "--resume", "whole", "--profile", "quick", "--results", results, "--dry-run").out, /keeps the run's own profile/);
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});

test("unknown experiment, profile, label, rate, family and command are refused with the valid ones", () => {
  const cases: Array<[string[], RegExp]> = [
    [["run", "--experiment", "fig9", "--profile", "quick", "--dry-run"], /valid: fig1, fig2.*peers/],
    [["run", "--experiment", "fig7", "--profile", "fast", "--dry-run"], /valid: quick, standard, full/],
    [["run", "--experiment", "fig7", "--profile", "quick", "--series", "knot-q-1K-1w", "--dry-run"], /not in fig7; valid: userver-shared-nb-30K-10p/],
    [["run", "--experiment", "fig7", "--profile", "quick", "--rates", "12345", "--dry-run"], /valid: 2500, 5000/],
    [["tune", "--family", "apache", "--dry-run"], /valid: userver-nb, userver-b/],
    [["frobnicate"], /unknown command/],
  ];
  for (const [args, re] of cases) {
    const r = cli(...args);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, re);
  }
});

test.run();
