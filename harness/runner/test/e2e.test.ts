// End to end: a tiny run through the CLI (2 configurations that exist, 2 rates, 5 s points, a 2-directory file set) on
// the emulated testbed when this machine can host it (root), on loopback otherwise; then a resume that redoes nothing,
// and one that measures a series again.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { POINT_COLUMNS } from "../results.ts";
import { getExperiment } from "../experiments.ts";
import { parseLabel } from "../labels.ts";
import { loadConfig } from "../../../env/lib/testbed.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLI = join(REPO, "harness/runner/cli.ts");
const VERDICTS = ["pass", "fail-timeouts", "fail-bytes", "fail-errors", "invalid-client", "server-failed"];

/** Figure 7's first two configurations whose server binary has been built. */
function twoConfigurations(): string[] {
  return getExperiment("fig7").series.filter((l) => existsSync(join(REPO, "servers/bin", parseLabel(l).server))).slice(0, 2);
}

/** The emulated testbed under its own names (so it never meets another run's), or loopback without root. */
function hostsFile(dir: string): string {
  if (process.getuid?.() !== 0 || !existsSync("/sys/fs/cgroup/cpuset")) return join(REPO, "env/hosts/loopback.json");
  const file = join(dir, "hosts.json");
  writeFileSync(file, JSON.stringify({
    kind: "emulated", prefix: "wp-e2e-", cgroupParent: "webarch/e2e",
    server: { cpus: "1", cpuQuota: 1.0, cpuPeriodUs: 10000, memoryLimitBytes: 64 * 2 ** 20,
      disk: loadConfig().server.diskModel, sysctls: { "net.core.somaxconn": 65535 } },
    clients: { count: 2, cpus: "0" },
  }));
  return file;
}

function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => res({ code, out }));
  });
}

test("a tiny run produces the results folder with verdicts, a resume redoes nothing, a redone series is kept", async () => {
  const labels = twoConfigurations();
  assert.is(labels.length, 2, "need two built servers of Figure 7 (make -C servers)");
  assert.ok(existsSync(join(REPO, "harness/loadgen/loadgen")), "need the load generator (make -C harness/loadgen)");
  const dir = mkdtempSync(join(tmpdir(), "e2e-"));
  try {
    const hosts = hostsFile(dir);
    const common = ["--hosts", hosts, "--results", join(dir, "results"), "--data", join(dir, "data"), "--dirs", "16",
      "--uncalibrated", "--k", "0.1", "--warmup", "2", "--duration", "5", "--idle", "0", "--client-timeout", "3"];
    const first = await cli(["run", "--experiment", "fig7", "--profile", "quick", "--series", labels.join(","),
      "--rates", "5000,15000", "--run-id", "e2e", "--order-seed", "7", ...common]);
    assert.is(first.code, 0, first.out);
    const runDir = join(dir, "results", "e2e");
    const text = readFileSync(join(runDir, "points.csv"), "utf8");
    assert.is(text.split("\n")[0], POINT_COLUMNS.join(","));
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    // the quick profile runs Figure 7 in two trials, each in its own random order, as run.json records it
    const run = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    assert.is(run.order_seed, 7);
    assert.equal(rows.map((r) => `fig7__${r.series}__${r.offered_rate}__t${r.trial}`), run.order);
    assert.equal([...run.order].sort(), labels.flatMap((l) => [1, 2].flatMap((t) => [`fig7__${l}__15000__t${t}`, `fig7__${l}__5000__t${t}`])).sort());
    assert.equal(rows.map((r) => r.trial), ["1", "1", "1", "1", "2", "2", "2", "2"]);
    for (const r of rows) {
      assert.ok(VERDICTS.includes(r.verdict), r.verdict);
      assert.is(r.offered_rate_testbed, String(Number(r.offered_rate) * 0.1));
      if (r.verdict !== "server-failed") {
        assert.ok(Number(r.replies) > 0, JSON.stringify(r));
        assert.ok(Number(r.reply_rate) > 0 && Number(r.throughput_mbps) > 0);
        assert.ok(Number(r.server_cpu_pct) >= 0 && r.iowait_pct !== "");
      }
    }
    assert.is(run.status, "finished");
    assert.is(run.k, 0.1);
    assert.is(run.calibration, "uncalibrated");
    assert.ok(run.commit && run.testbed.kind && run.workload.expected.meanRequestsPerSession > 1);
    for (const r of rows.filter((x) => x.verdict !== "server-failed")) {
      assert.ok(Number(r.distinct_files) > 0 && Number(r.distinct_bytes) > 0 && r.misses_per_request !== "", JSON.stringify(r));
    }
    const prepared = JSON.parse(readFileSync(join(runDir, "raw", `fig7__${labels[0]}__5000__t1`, "page-cache.json"), "utf8"));
    assert.ok(prepared.files_read > 0 && prepared.prefix_requests > prepared.files_read, JSON.stringify(prepared));
    const raw = readdirSync(join(runDir, "raw"));
    assert.ok(raw.includes(`correctness__${labels[0]}.json`), raw.join());
    assert.ok(existsSync(join(runDir, "raw", `fig7__${labels[0]}__5000__t2`, "point.json")));
    assert.not.ok(readdirSync(join(dir, "data", "scratch")).some((f) => f.endsWith(".csv")), "per-request CSVs left behind");

    // the run's machine stays the one it began on; the resumed segment records its own
    const begun = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    const firstMachine = { ...begun.machine, paravirtNotes: ["the machine the run began on"] };
    writeFileSync(join(runDir, "run.json"), JSON.stringify({ ...begun, machine: firstMachine }));
    const again = await cli(["run", "--resume", "e2e", ...common]);
    assert.is(again.code, 0, again.out);
    assert.match(again.out, "0 points run, 8 already there");
    const resumed = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    assert.equal(resumed.machine, firstMachine);
    assert.not.equal(resumed.segments[1].machine.paravirtNotes, firstMachine.paravirtNotes);
    assert.is(parse(readFileSync(join(runDir, "points.csv"), "utf8"), { columns: true }).length, 8);

    // a series relaunched after a fix is measured again (the old points kept under superseded/); a run whose profile
    // has since grown an experiment's trials takes them when the experiment is named (here: none left to run)
    const grown = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    writeFileSync(join(runDir, "run.json"), JSON.stringify({ ...grown, profile_settings: { ...grown.profile_settings, trials: { fig7: 1 } } }));
    const redo = await cli(["run", "--resume", "e2e", "--experiment", "fig7", "--redo-series", labels[1], ...common]);
    assert.is(redo.code, 0, redo.out);
    assert.match(redo.out, "with the profile's present trials of fig7");
    assert.match(redo.out, /measuring again 4 point\(s\): /);
    assert.match(redo.out, "4 points run, 4 already there");
    const segments = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8")).segments;
    assert.equal(segments.map((x: { points_before: number }) => x.points_before), [0, 8, 4]);
    assert.equal([segments[2].redone.length, segments[2].extended], [4, { experiments: [], trials: ["fig7"] }]);
    const superseded = parse(readFileSync(join(runDir, "superseded", "points.csv"), "utf8"), { columns: true }) as Record<string, string>[];
    assert.ok(superseded.length === 4 && superseded.every((r) => r.series === labels[1] && /^launch of .* changed; measured again in segment 3/.test(r.superseded_because)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
