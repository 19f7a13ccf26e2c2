// Tests the label grammar, the one place k is applied, and the experiments-as-data matrix.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseLabel, launchSpec, LabelError, connsPerFdTable, nginxFileCacheMax } from "../labels.ts";
import { EXPERIMENTS, PROFILES, runMatrix, figureLines, getProfile, getExperiment, knownLabels, TABLE1_SERIES, estimatePointS } from "../experiments.ts";
import { testbedRate, paperUnits, testbedConns, testbedDisk } from "../scale.ts";

const o = { root: "/srv/www", port: 8080, binDir: "/b", workDir: "/w", fdLimit: 20000 };
const flag = (argv: string[], f: string) => argv[argv.indexOf(f) + 1];

test("every label the experiments use parses; the brief's labels map to the right flags", () => {
  for (const l of knownLabels()) parseLabel(l);
  const u = launchSpec(parseLabel("userver-nb-30K-4p"), 0.5, o).argv;
  assert.is(u[0], "/b/userver");
  assert.equal([flag(u, "--mode"), flag(u, "--procs"), flag(u, "--max-conns"), flag(u, "--sendfile"), flag(u, "--events")],
    ["symped", "4", "15000", "nb", "poll"]);
  const s = launchSpec(parseLabel("userver-shared-nb-30K-10p"), 0.5, o).argv;
  assert.equal([flag(s, "--mode"), flag(s, "--procs")], ["shared", "10"]);
  assert.is(flag(launchSpec(parseLabel("userver-nb-30K-1p"), 1, o).argv, "--mode"), "sped");
  assert.is(flag(launchSpec(parseLabel("userver-b-30K-100p"), 1, o).argv, "--sendfile"), "b");
  const kc = launchSpec(parseLabel("knot-c-20K-100w-1000MB"), 0.5, o).argv;
  assert.equal([flag(kc, "--variant"), flag(kc, "--threads"), flag(kc, "--workers"), flag(kc, "--cache-mb")], ["c", "10000", "100", "1000"]);
  const kn = launchSpec(parseLabel("knot-nb-15K-50w"), 0.4, o).argv;
  assert.equal([flag(kn, "--threads"), flag(kn, "--workers")], ["6000", "50"]);
  assert.not.ok(kn.includes("--cache-mb"));
  const w = launchSpec(parseLabel("watpipe-20K-25p"), 0.5, o).argv;
  assert.equal([w[0], flag(w, "--writers"), flag(w, "--max-conns")], ["/b/watpipe", "25", "10000"]);
  assert.is(flag(launchSpec(parseLabel("userver-nb-30K-4p-epoll"), 1, o).argv, "--events"), "epoll");
});

test("nginx peers get a generated config: workers, sendfile, the scaled cap split over workers", () => {
  const n = launchSpec(parseLabel("nginx-4w"), 0.5, o);
  assert.is(n.argv[0], "/usr/sbin/nginx");
  const conf = n.files["/w/nginx.conf"];
  assert.match(conf, "worker_processes 4;");
  assert.match(conf, "sendfile on;");
  assert.match(conf, "worker_connections 3750;");
  assert.match(conf, "root /srv/www;");
  // the host's whole table, and a cache of open files of what the connections leave, as our servers size theirs
  assert.match(conf, "worker_rlimit_nofile 20000;");
  assert.match(conf, `open_file_cache max=${20000 - 3750 - 64} `);
  const one = launchSpec(parseLabel("nginx-1w"), 0.6, o).files["/w/nginx.conf"];
  assert.match(one, "worker_connections 18000;");
  assert.match(one, "open_file_cache max=1936 ");
  assert.is(nginxFileCacheMax(20000, 30000), 16); // a cap over the table (the runner warns): the smallest cache
  assert.is(n.readiness, "port");
  assert.throws(() => launchSpec(parseLabel("nginx-1w"), 1, { ...o, port: 0 }), /fixed port/);
});

test("bad labels are refused with the grammar and the known labels", () => {
  for (const bad of ["userver-nb-30K", "knot-c-20K-100w", "knot-b-20K-100w-10MB", "apache-1w", "watpipe-20K-25w", ""]) {
    assert.throws(() => parseLabel(bad, knownLabels()), (e: Error) => e instanceof LabelError && /userver-nb-30K-4p/.test(e.message) && /grammar|cache/.test(e.message));
  }
});

test("k scales rates, caps and the disk; nothing else", () => {
  assert.is(testbedRate(12000, 0.5), 6000);
  assert.is(paperUnits(5061, 0.5), 10122);
  assert.is(testbedConns(30000, 0.55), 16500);
  assert.equal(testbedDisk({ readIops: 200, readBps: null }, 0.5), { readIops: 100, readBps: null });
  assert.throws(() => testbedRate(1, 0), /k must be/);
  const a = launchSpec(parseLabel("knot-c-20K-100w-1000MB"), 1, o).argv, b = launchSpec(parseLabel("knot-c-20K-100w-1000MB"), 0.25, o).argv;
  assert.is(flag(a, "--workers"), flag(b, "--workers"));
  assert.is(flag(a, "--cache-mb"), flag(b, "--cache-mb"));
});

test("descriptors per process: one table for Knot, WatPipe and shared-SYMPED; SYMPED and nginx split the cap", () => {
  const at = (label: string) => connsPerFdTable(parseLabel(label), 0.6);
  assert.is(at("knot-b-40K-100w"), 24000); // over this machine's 20,000: the runner warns
  assert.is(at("userver-shared-nb-30K-10p"), 18000);
  assert.is(at("userver-nb-30K-4p"), 4500);
  assert.is(at("watpipe-20K-25p"), 12000);
  assert.is(at("nginx-4w"), 4500);
});

test("experiments: Figures 1–8, Table 1, C9's profiles and the peers; rates in paper units up to 30,000", () => {
  assert.equal(EXPERIMENTS.map((e) => e.id), ["fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "table1", "poll", "peers"]);
  assert.is(Math.max(...getExperiment("fig7").rates), 30000);
  assert.equal(getExperiment("table1").rates, [12000]);
  assert.is(TABLE1_SERIES.length, 7);
  assert.throws(() => getExperiment("fig9"), /valid: fig1, .*table1/);
  assert.throws(() => getProfile("huge"), /valid: quick, standard, full/);
});

test("quick profile: Figure 7 at 15,000 req/s in two trials + Table 1 in one, within 30 minutes by the estimate", () => {
  const m = runMatrix(PROFILES.quick);
  assert.is(m.length, 8 * 2 + 7);
  assert.is(new Set(m.map((p) => p.id)).size, m.length);
  assert.ok(m.filter((p) => p.figure === "table1").every((p) => p.perf && p.offeredRate === 12000 && p.trial === 1));
  assert.ok(m.length * estimatePointS(PROFILES.quick) <= 28 * 60); // with room for the testbed and the workload
  const f7 = m.filter((p) => p.figure === "fig7" && p.config.label === "userver-nb-30K-4p").map((p) => p.id);
  assert.equal(f7, ["fig7__userver-nb-30K-4p__15000__t1", "fig7__userver-nb-30K-4p__15000__t2"]);
  // trial 1's points all come before trial 2's
  assert.equal(m.map((p) => p.trial), [...Array(15).fill(1), ...Array(8).fill(2)]);
  assert.throws(() => runMatrix(PROFILES.quick, { experiments: ["fig7"], rates: [12345] }), /not one of fig7's rates; valid: 2500/);
  assert.throws(() => runMatrix(PROFILES.quick, { experiments: ["fig8"] }), /fig7's points/);
  assert.throws(() => runMatrix(PROFILES.quick, { experiments: ["fig7"], series: ["knot-b-40K-50w"] }), /not in fig7/);
  assert.ok(runMatrix(PROFILES.full).length > runMatrix(PROFILES.standard).length);
});

test("standard: three trials of Figure 7, Table 1 and the peers, and of the tuning figures at the rates their claims use; within 16 hours", () => {
  const m = runMatrix(PROFILES.standard);
  const n = (label: string, rate: number, perf = false) => m.filter((p) => p.config.label === label && p.offeredRate === rate && p.perf === perf).length;
  for (const label of getExperiment("fig7").series) for (const rate of PROFILES.standard.plan.fig7) assert.is(n(label, rate), 3, `${label} @ ${rate}`);
  for (const label of TABLE1_SERIES) assert.is(n(label, 12000, true), 3, label);
  for (const rate of [10000, 15000, 30000]) assert.is(n("userver-b-50K-75p", rate), 3);
  assert.is(n("userver-b-50K-75p", 5000), 1);
  assert.is(n("knot-b-20K-50w", 25000), 3); // C9: its poll set at 15K, 25K and 30K
  assert.is(n("knot-b-20K-50w", 25000, true), 1); // C9's profile: a level, no comparison
  for (const rate of PROFILES.standard.plan.peers) assert.is(n("nginx-1w", rate), 3, `nginx-1w @ ${rate}`); // the SPED / nginx ratio's interval
  assert.ok(m.length * estimatePointS(PROFILES.standard) <= 16 * 3600);
});

test("a line in two figures is measured once per trial, under the first; every figure still lists it", () => {
  const both = { experiments: ["fig4", "fig7"], rates: [5000] };
  const m = runMatrix(PROFILES.standard, both);
  const nb4p = m.filter((p) => p.config.label === "userver-nb-30K-4p");
  // Figure 4 runs 5,000 req/s once, Figure 7 three times: trial 1 is Figure 4's, trials 2 and 3 Figure 7's
  assert.equal(nb4p.map((p) => p.id), ["fig4__userver-nb-30K-4p__5000__t1", "fig7__userver-nb-30K-4p__5000__t2", "fig7__userver-nb-30K-4p__5000__t3"]);
  assert.is(m.length, 7 + 8 - 2 + 2 * 8); // trial 1: fig4's seven lines and Figure 7's other six; trials 2, 3: Figure 7's eight
  const at15 = runMatrix(PROFILES.standard, { experiments: ["fig4", "fig7"], rates: [15000] });
  assert.is(at15.length, 3 * (7 + 8 - 2)); // three trials of both: every trial measures each line once
  assert.is(new Set(at15.map((p) => p.id)).size, at15.length);
  const lines = figureLines(PROFILES.standard, both);
  assert.ok(lines.fig7.includes("userver-nb-30K-4p") && lines.fig4.includes("userver-nb-30K-4p"));
  // the standard profile's lines each measured once per trial and rate (Figure 7's are among the tuning figures'), the
  // profiled points (Table 1's 7 at 12K; C9's knot-b-20K-50w at 12K, 25K and 30K, apart from Figure 3's)
  const std = runMatrix(PROFILES.standard);
  const figures = std.filter((p) => !p.perf);
  assert.is(new Set(figures.map((p) => `${p.config.label} ${p.offeredRate} ${p.trial}`)).size, figures.length);
  assert.is(std.filter((p) => p.perf && p.figure === "table1").length, 7 * 3);
  assert.equal(std.filter((p) => p.figure === "poll").map((p) => `${p.config.label}@${p.offeredRate} ${p.perf}`),
    ["knot-b-20K-50w@12000 true", "knot-b-20K-50w@25000 true", "knot-b-20K-50w@30000 true"]);
  assert.ok(std.some((p) => p.figure === "fig3" && p.config.label === "knot-b-20K-50w" && p.offeredRate === 25000 && !p.perf));
});

test.run();
