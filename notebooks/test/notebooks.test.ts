// Executes every notebook headless on the hand-made fixture into a temp folder and checks the files they write and the report.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { FIXTURE } from "./helpers.ts";

const runner = new URL("../run-notebooks.ts", import.meta.url).pathname;
const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", runner, ...args], { encoding: "utf8", timeout: 240_000 });

test("every notebook runs on the fixture and writes its figure or table; the report shows them", () => {
  const out = mkdtempSync(join(tmpdir(), "paper-figures-"));
  try {
    const r = run(["--results", FIXTURE, "--out", out]);
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /10 of 10 succeeded/);
    assert.match(r.stdout, /run-notebooks: noise: \d+ points of this run \(configuration × rate\) were measured in more than one trial; .* a median of 4\.\d%/);
    for (let n = 1; n <= 8; n++) {
      const svg = readFileSync(join(out, `figure-${n}.svg`), "utf8");
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>$/);
      assert.match(svg, new RegExp(`Figure ${n}: `));
      assert.equal([...readFileSync(join(out, `figure-${n}.png`)).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], "PNG signature");
    }
    assert.match(readFileSync(join(out, "table-1.md"), "utf8"), /^# Table 1[\s\S]*\| metric \|[\s\S]*\| ctx_switches_per_s_user \(server\) \|/);
    assert.match(readFileSync(join(out, "table-1.csv"), "utf8"), /^metric,section,column,label,ours,paper,difference,profile\n/);
    const claims = readFileSync(join(out, "claims.md"), "utf8");
    for (let c = 1; c <= 18; c++) assert.match(claims, new RegExp(`\\| C${c} \\|`));
    assert.match(claims, /## Fidelity: the testbed beside the paper's operating points/);
    assert.ok(r.stdout.includes(`run-notebooks: report: ${join(out, "index.html")}`), r.stdout);
    const report = readFileSync(join(out, "index.html"), "utf8");
    assert.is(report.match(/<figure id="figure-\d" [^>]*>\n<svg /g)?.length, 8, "the report shows the eight figures this run drew");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("a failing notebook is reported with its cell's error message, and older outputs are named", () => {
  const dir = mkdtempSync(join(tmpdir(), "nb-broken-"));
  try {
    cpSync(FIXTURE, dir, { recursive: true });
    const points = join(dir, "points.csv");
    writeFileSync(points, readFileSync(points, "utf8").replace(",throughput_mbps,", ",mbps,"));
    const old = join(dir, "out", "figure-1.svg");
    mkdirSync(join(dir, "out"));
    writeFileSync(old, "<svg/>");
    utimesSync(old, new Date(2020, 0, 1), new Date(2020, 0, 1));
    const r = run(["--results", dir, "--out", join(dir, "out"), "--only", "figure-1"]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /figure-1\.ipynb: cell \d+ failed/);
    assert.match(r.stderr, /missing column\(s\) throughput_mbps/);
    assert.match(r.stderr, /not written by this run \(older outputs\): figure-1\.svg/);
    assert.is(readFileSync(old, "utf8"), "<svg/>");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a results folder without points.csv is refused before any kernel starts", () => {
  const r = run(["--results", tmpdir(), "--out", tmpdir()]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /no points\.csv/);
});

test.run();
