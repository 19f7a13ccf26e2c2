// Tests the command line without a testbed: dry runs print the matrix and its time; bad input is refused with the valid choices.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
  assert.match(q.out, /2 trial\(s\) of 15, 8 points, each in its own random order; 23 points, 8 configurations/);
  assert.match(q.out, /table1 +knot-c-20K-100w-1000MB \(perf\) +12000\n/);
  assert.match(q.out, /fig7 +knot-b-20K-100w +15000×2\n/);
  assert.match(q.out, /estimated 0\.\d h \(\d+ min at \d+ s a point\)/);
  const f7 = cli("run", "--experiment", "fig7", "--profile", "standard", "--series", "knot-b-20K-100w", "--dry-run");
  assert.match(f7.out, /fig7 +knot-b-20K-100w +5000×3, 10000×3, 12500×3, 15000×3, 20000×3, 25000×3, 30000×3/);
  assert.match(f7.out, /21 points, 1 configurations/);
  const f3 = cli("run", "--experiment", "fig3", "--profile", "standard", "--series", "knot-b-10K-50w", "--dry-run");
  assert.match(f3.out, /fig3 +knot-b-10K-50w +5000, 10000×3, 12500, 15000×3, 20000, 25000×3, 30000×3/);
  assert.match(cli("tune", "--family", "watpipe", "--dry-run").out, /18 points, 9 configurations/);
});

test("a run extended with another figure measures only the lines it does not have (a dry run on a made-up run)", () => {
  const results = mkdtempSync(join(tmpdir(), "cli-extend-"));
  try {
    const run = (id: string, matrix: object, changes: object = {}) => {
      mkdirSync(join(results, id));
      writeFileSync(join(results, id, "run.json"),
        JSON.stringify({ run_id: id, profile: "standard", profile_settings: { ...PROFILES.standard, ...changes }, k: 0.6, matrix }));
    };
    run("whole", { experiments: ["table1", "fig7"] });
    const r = cli("run", "--resume", "whole", "--experiment", "fig4", "--results", results, "--dry-run");
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /adding fig4/);
    assert.match(r.out, /fig4 +userver-nb-30K-3p +5000/);
    assert.not.match(r.out, /fig4 +userver-nb-30K-4p/); // Figure 7 measures it (and Table 1's profiled point is apart)
    assert.match(r.out, /254 points/); // Table 1: 7 × 3; Figure 7: 8 × 7 × 3; Figure 4: 5 new lines × (3 rates × 3 + 4 × 1)
    // an experiment added to the profile since the run began comes with the profile's present rates and trials
    const { fig5: _, ...plan } = PROFILES.standard.plan;
    const { fig5: __, ...trials } = PROFILES.standard.trials!;
    run("older", { experiments: ["fig7"] }, { plan, trials });
    const o = cli("run", "--resume", "older", "--experiment", "fig5", "--results", results, "--dry-run");
    assert.is(o.code, 0, o.out);
    assert.match(o.out, /fig5 +userver-b-50K-200p +5000, 10000×3, 12500, 15000×3, 20000, 25000, 30000×3/);
    // an experiment the run has, named again, takes the trials the profile has added to it since; never fewer
    run("peers1", { experiments: ["fig7", "peers"] }, { trials: { ...PROFILES.standard.trials, peers: 1 } });
    const p = cli("run", "--resume", "peers1", "--experiment", "peers", "--results", results, "--dry-run");
    assert.is(p.code, 0, p.out);
    assert.match(p.out, /with the profile's present trials of peers/);
    assert.match(p.out, /peers +nginx-1w +5000×3, 10000×3, 15000×3, 30000×3/);
    assert.match(cli("run", "--resume", "peers1", "--results", results, "--dry-run").out, /peers +nginx-1w +5000, 10000, 15000, 30000\n/);
    run("peers5", { experiments: ["fig7", "peers"] }, { trials: { ...PROFILES.standard.trials, peers: 5 } });
    assert.match(cli("run", "--resume", "peers5", "--experiment", "peers", "--results", results, "--dry-run").out, /fewer trials of peers .* only adds trials/);
    run("some", { experiments: ["fig7"], series: ["knot-b-20K-100w"] });
    const s = cli("run", "--resume", "some", "--experiment", "fig3", "--results", results, "--dry-run");
    assert.is(s.code, 1, s.out);
    assert.match(s.out, /restricted to some series or rates/);
    assert.match(cli("run", "--resume", "whole", "--profile", "quick", "--results", results, "--dry-run").out, /keeps the run's own profile/);
    // replicate with an existing run's id resumes it, with its own profile; run without --resume does not touch it
    const rep = cli("replicate", "--profile", "standard", "--run-id", "whole", "--results", results, "--dry-run");
    assert.is(rep.code, 0, rep.out);
    assert.match(rep.out, /resuming whole with its own settings \(profile standard/);
    assert.match(cli("replicate", "--profile", "quick", "--run-id", "whole", "--results", results).out, /whole is a standard run: resume it with PROFILE=standard/);
    assert.match(cli("run", "--profile", "quick", "--experiment", "fig7", "--run-id", "whole", "--results", results).out, /run whole exists in .*: resume it/);
    // a run begun on another kind of machine is refused before anything is measured, and keeps its status
    writeFileSync(join(results, "whole", "run.json"), JSON.stringify({ run_id: "whole", status: "interrupted", profile: "standard",
      profile_settings: PROFILES.standard, k: 0.6, matrix: { experiments: ["fig7"] }, machine: { cpuModel: "A CPU of another kind", cpus: 2 } }));
    const other = cli("run", "--resume", "whole", "--results", results);
    assert.is(other.code, 1, other.out);
    assert.match(other.out, /run whole was measured on another kind of machine \(cpuModel "A CPU of another kind" → /);
    assert.is(JSON.parse(readFileSync(join(results, "whole", "run.json"), "utf8")).status, "interrupted");
    // a run whose points.csv another version of the runner wrote is refused before anything is measured
    writeFileSync(join(results, "whole", "points.csv"), "run_id,figure,series,offered_rate,reply_rate,verdict\n");
    const old = cli("run", "--resume", "whole", "--results", results);
    assert.is(old.code, 1, old.out);
    assert.match(old.out, /run whole cannot be resumed: .*it lacks server, variant/);
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
