// Tests the command line without a testbed: dry runs print the matrix and its time; bad input is refused with the valid choices.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout + r.stderr };
};

test("dry runs: the quick replication's matrix and time; Figure 7 alone; a tuning matrix", () => {
  const q = cli("replicate", "--profile", "quick", "--dry-run");
  assert.is(q.code, 0, q.out);
  assert.match(q.out, /31 points, 8 configurations/);
  assert.match(q.out, /table1 +knot-c-20K-100w-1000MB \(perf\) +12000/);
  const f7 = cli("run", "--experiment", "fig7", "--profile", "standard", "--series", "knot-b-20K-100w", "--dry-run");
  assert.match(f7.out, /fig7 +knot-b-20K-100w +5000, 10000, 12500, 15000, 20000, 25000, 30000/);
  assert.match(f7.out, /7 points, 1 configurations/);
  assert.match(cli("tune", "--family", "watpipe", "--dry-run").out, /18 points, 9 configurations/);
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
