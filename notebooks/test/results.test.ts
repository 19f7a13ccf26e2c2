// Tests reading a results folder: columns, numbers, verdicts, figure membership, and clear errors on bad input.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { figurePoints, figuresOf, readResults } from "../lib/results.ts";
import { FIXTURE, fixture } from "./helpers.ts";

test("reads the fixture's points, profile and run", () => {
  const r = fixture();
  assert.is(r.points.length, 448);
  assert.equal([...new Set(r.points.map((p) => p.trial))], [1, 2, 3]);
  assert.is(r.run.k, 0.1);
  const p = r.points.find((q) => q.series === "knot-b-40K-50w" && q.offered_rate === 30000)!;
  assert.is(p.verdict, "fail-timeouts");
  assert.type(p.throughput_mbps, "number");
  assert.is(p.max_conns, 40000);
  assert.ok(r.profile.some((row) => row.series === "watpipe-20K-25p" && row.category === "event_overhead" && row.pct === 3.3));
});

test("the disk-regime columns read as numbers where the runner wrote them, NaN in older folders", () => {
  const dir = mkdtempSync(join(tmpdir(), "nb-cache-cols-"));
  try {
    for (const f of ["run.json", "profile.csv"]) copyFileSync(join(FIXTURE, f), join(dir, f));
    const [header, first, ...rest] = readFileSync(join(FIXTURE, "points.csv"), "utf8").trimEnd().split("\n");
    writeFileSync(join(dir, "points.csv"), [header + ",misses_per_request,distinct_files", first + ",0.0012,19000",
      ...rest.map((l) => l + ",,")].join("\n") + "\n");
    const r = readResults(dir);
    assert.is(r.points[0].misses_per_request, 0.0012);
    assert.is(r.points[0].distinct_files, 19000);
    assert.ok(Number.isNaN(r.points[1].distinct_files));
    assert.ok(Number.isNaN(fixture().points[0].misses_per_request), "the fixture predates the columns");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("figure field: several figures, prefixes and Table 1", () => {
  const r = fixture();
  const p = { ...r.points[0], figure: "fig3; 7 table1" };
  assert.equal(figuresOf(p), [3, 7, "table1"]);
  assert.equal(figuresOf({ ...p, figure: "figure-8" }), [8]);
  const fig7 = figurePoints(r, 7), fig8 = figurePoints(r, 8);
  assert.ok(fig7.some((p) => p.figure === "fig7") && fig7.some((p) => p.figure === "peers"), "Figure 7 shows its runs and the peers");
  assert.not.ok(fig7.some((p) => p.figure === "table1"), "Table 1's profiled points are not drawn");
  assert.is(fig8.length, fig7.length, "Figure 8 shows Figure 7's runs");
});

test("figure_lines: a figure draws the unprofiled points of its lines that another figure measured", () => {
  const r = fixture();
  const nb4p = (rs: typeof r.points) => rs.filter((p) => p.series === "userver-nb-30K-4p");
  const alone = nb4p(figurePoints(r, 4));
  const run = { ...r.run, figure_lines: { fig4: ["userver-nb-30K-4p"] } };
  const shared = nb4p(figurePoints({ ...r, run }, 4));
  const unprofiledRuns = nb4p(r.points).filter((p) => !/table/.test(p.figure));
  assert.ok(unprofiledRuns.some((p) => p.figure !== "fig4"), "the fixture has the line measured outside Figure 4");
  assert.ok(shared.length > alone.length);
  assert.is(shared.length, unprofiledRuns.length);
  assert.not.ok(shared.some((p) => p.figure === "table1"), "Table 1's profiled points stay out");
});

test("older runs: no trial column is trial 1; a row of the repeat experiment is the next trial of its Figure 7 point", () => {
  const dir = brokenCopy((text) => {
    const [header, ...rows] = text.trim().split("\n");
    const cols = header.split(",");
    const t = cols.indexOf("trial");
    const drop = (line: string) => line.split(",").filter((_, i) => i !== t).join(",");
    const first = rows.filter((l) => l.split(",")[t] === "1");
    const rate = cols.indexOf("offered_rate");
    const again = first.find((l) => l.includes(",fig7,knot-b-20K-100w,") && l.split(",")[rate] === "15000")!.replace(",fig7,", ",repeat,");
    return [drop(header), ...first.map(drop), drop(again)].join("\n") + "\n";
  });
  try {
    const r = readResults(dir);
    assert.ok(r.points.every((p) => p.trial === 1 || p.series === "knot-b-20K-100w"));
    const again = r.points.at(-1)!;
    assert.equal([again.figure, again.series, again.offered_rate, again.trial], ["fig7", "knot-b-20K-100w", 15000, 2]); // trial 1 is Figure 7's
    assert.ok(figurePoints(r, 7).includes(again));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function brokenCopy(edit: (points: string) => string, run?: object): string {
  const dir = mkdtempSync(join(tmpdir(), "nb-results-"));
  writeFileSync(join(dir, "points.csv"), edit(readFileSync(join(FIXTURE, "points.csv"), "utf8")));
  copyFileSync(join(FIXTURE, "profile.csv"), join(dir, "profile.csv"));
  writeFileSync(join(dir, "run.json"), JSON.stringify(run ?? JSON.parse(readFileSync(join(FIXTURE, "run.json"), "utf8"))));
  return dir;
}

test("a missing column, an unknown verdict or a missing k is an error naming it", () => {
  const dirs = [
    brokenCopy((s) => s.replace(",throughput_mbps,", ",tput,")),
    brokenCopy((s) => s.replace(",pass,", ",maybe,")),
    brokenCopy((s) => s, { run_id: "x" }),
  ];
  try {
    assert.throws(() => readResults(dirs[0]), /missing column\(s\) throughput_mbps/);
    assert.throws(() => readResults(dirs[1]), /unknown verdict "maybe"/);
    assert.throws(() => readResults(dirs[2]), /k must be a positive number/);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

test("profile.csv is optional", () => {
  const dir = brokenCopy((s) => s);
  try {
    rmSync(join(dir, "profile.csv"));
    assert.is(readResults(dir).profile.length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
