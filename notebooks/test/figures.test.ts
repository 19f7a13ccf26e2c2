// Tests the figure specs: the paper's titles and axes, the caption, failed points marked, the paper's values beside ours.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { captionLines, describeCalibration, figure } from "../lib/figures.ts";
import { parseLabel, architectureOf } from "../lib/labels.ts";
import { renderSvg } from "../lib/render.ts";
import { ARCHITECTURE_COLOURS, seriesStyles } from "../lib/style.ts";
import { fixture } from "./helpers.ts";

type Layer = { data: { values: Record<string, unknown>[] }; mark: { type: string; filled?: boolean }; encoding: Record<string, { title?: string; scale?: { domain?: unknown[]; range?: unknown[] } }> };
const layersOf = (n: number) => (figure(fixture(), n).spec as unknown as { layer: Layer[] }).layer;

test("labels parse into server, connections, workers and cache", () => {
  assert.equal(parseLabel("knot-c-20K-100w-1000MB"), { label: "knot-c-20K-100w-1000MB", server: "knot-c", maxConns: 20000, workers: 100, cacheMb: 1000 });
  assert.is(parseLabel("userver-shared-nb-30K-10p").server, "userver-shared-nb");
  assert.is(architectureOf("userver-nb-30K-1p"), "userver-sped");
  assert.is(architectureOf("userver-nb-30K-4p"), "userver-nb");
});

test("one colour per architecture; several series of one architecture get distinct shades", () => {
  const one = seriesStyles(["knot-b-20K-100w", "watpipe-20K-25p"]);
  assert.is(one.get("knot-b-20K-100w")!.colour, ARCHITECTURE_COLOURS["knot-b"]);
  const many = seriesStyles(["knot-b-10K-100w", "knot-b-20K-50w", "knot-b-20K-100w"]);
  assert.is(new Set([...many.values()].map((s) => s.colour)).size, 3);
  assert.is(new Set([...many.values()].map((s) => s.dash.join())).size, 3);
});

test("title, axes and caption follow the paper and state k, calibration and testbed", () => {
  const spec = figure(fixture(), 3).spec as unknown as { title: { text: string; subtitle: string[] } };
  assert.is(spec.title.text, "Figure 3: Tuning Knot – blocking sendfile");
  const caption = spec.title.subtitle.join(" ");
  assert.match(caption, /k = 0\.1/);
  assert.match(caption, /Calibration: .*target_reply_rate=10122/);
  assert.match(caption, /Testbed: fixture testbed, 1 server core\(s\), 0\.27 of a core \(CPU quota\), 2 GiB memory/);
  assert.match(caption, /profile fixture, status complete, commit 0000000000\)/);
  const line = layersOf(3)[0];
  assert.is(line.encoding.x.title, "Requests/s");
  assert.is(line.encoding.y.title, "Throughput (Mbps)");
  assert.is(layersOf(8)[0].encoding.y.title, "Mean response time (ms)");
  assert.throws(() => figure(fixture(), 9), /no Figure 9/);
});

test("lines pass through the median of a rate's trials, with a bar over its interval; single trials are bare points, and the caption says n", () => {
  const r = fixture();
  const [line, bars] = (figure(r, 7).spec as unknown as { layer: Layer[] }).layer;
  const knotB = line.data.values.find((v) => v.series === "knot-b-20K-100w" && v.rate === 15000)!;
  const trials = r.points.filter((p) => p.series === "knot-b-20K-100w" && p.offered_rate === 15000 && p.figure === "fig7").map((p) => p.throughput_mbps).sort((a, b) => a - b);
  assert.is(trials.length, 3);
  assert.is(knotB.y, trials[1]);
  assert.equal([knotB.lo, knotB.hi, knotB.n], [trials[0], trials[2], 3]);
  assert.is(bars.mark.type, "errorbar");
  assert.ok(bars.data.values.every((v) => (v.n as number) > 1));
  const notes = (s: Record<string, unknown>) => (s.title as { subtitle: string[] }).subtitle.join(" ");
  // the peers have one trial: points without bars, named in the caption
  assert.not.ok(bars.data.values.some((v) => String(v.series).startsWith("nginx")));
  assert.match(notes(figure(r, 7).spec), /Trials: n = 3: [^;]*knot-b-20K-100w[^;]*; n = 1: nginx-4w, nginx-1w\./);
  assert.match(notes(figure(r, 7).spec), /the range of the trials below n = 6; coverage 75% at n = 3\)/);
  const one = { ...r, points: r.points.filter((p) => p.trial === 1 && p.figure === "fig3") };
  assert.match(notes(figure(one, 3).spec), /Trials: every line n = 1\. .*one trial per rate: points without bars/);
  assert.is((figure(one, 3).spec as unknown as { layer: Layer[] }).layer[1].data.values.length, 0);
});

test("points that failed verification are drawn hollow, apart from the passing ones", () => {
  const [, , passed, failed] = layersOf(3);
  assert.is(passed.mark.filled, true);
  assert.is(failed.mark.filled, false);
  assert.equal(failed.data.values.map((v) => [v.series, v.rate, v.verdict, v.trial]), [1, 2, 3].map((t) => ["knot-b-40K-50w", 30000, "fail-timeouts", t]));
  assert.not.ok(passed.data.values.some((v) => v.verdict !== "pass"));
});

test("the paper's values are drawn beside ours: text levels, and Table 1 on Figure 7", () => {
  const levels = layersOf(3).find((l) => l.mark.type === "rule")!.data.values.map((v) => v.mbps);
  assert.equal((levels as number[]).sort((a, b) => a - b), [960, 1200, 1230]);
  const diamonds = layersOf(7).find((l) => (l.mark as { shape?: string }).shape === "diamond")!.data.values;
  assert.is(diamonds.length, 7);
  assert.ok(diamonds.some((d) => d.series === "userver-shared-nb-30K-10p" && d.mbps === 1280 && d.rate === 12000));
});

test("the legend is ordered best peak first (as the paper's Figure 7)", () => {
  const domain = layersOf(7)[0].encoding.color.scale!.domain as string[];
  assert.is(domain[0], "nginx-4w");
  assert.is(domain.at(-1), "userver-nb-30K-1p");
});

test("a spec renders to SVG headless", async () => {
  const svg = await renderSvg(figure(fixture(), 7).spec);
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /Figure 7: Throughput of different architectures/);
  assert.match(svg, /<\/svg>$/);
});

test("a figure without points says so and still shows the paper's values", () => {
  const spec = figure({ ...fixture(), points: [] }, 1).spec as unknown as { title: { subtitle: string[] }; layer: Layer[] };
  assert.match(spec.title.subtitle.join(" "), /no points for Figure 1/);
  assert.ok(spec.layer.some((l) => l.mark.type === "rule" && l.data.values.some((v) => v.mbps === 1085)));
});

test("caption states what run.json holds, or that it is not recorded", () => {
  const lines = captionLines({ k: 0.5 }).join(" ");
  assert.match(lines, /k = 0\.5/);
  assert.match(lines, /Calibration: not recorded/);
  assert.match(lines, /Machine: not recorded\./);
});

test("a run made in resumed segments names the first and last of their commits", () => {
  const segments = [{ commit: "aaaaaaaaaaaa1" }, { commit: "aaaaaaaaaaaa1" }, { commit: "bbbbbbbbbbbb2" }, { commit: "cccccccccccc3" }];
  assert.match(captionLines({ k: 0.6, commit: "cccccccccccc3", segments }, Infinity).join(" "),
    /\(profile \?, 4 segments at 3 commits, aaaaaaaaaa to cccccccccc \(each segment's in run\.json\)\)/);
  assert.match(captionLines({ k: 0.6, commit: "cccccccccccc3", segments: segments.slice(0, 2) }, Infinity).join(" "), /\(profile \?, commit aaaaaaaaaa\)/);
});

test("the machine is named in every caption: CPU, hypervisor, paravirtualisation, perf", () => {
  const machine = { cpuModel: "AMD EPYC", cpus: 2, hypervisorFlag: true, hypervisor: "PVM", paravirt: "PVM",
    paravirtNotes: ["pvm-pv: running under PVM (pv-lite)"], clocksource: "kvm-clock", kernel: "6.18.44", dmesgReadable: true,
    perfRecord: "perf record -g -e cpu-clock -F 999" };
  assert.match(captionLines({ k: 0.5, machine }, Infinity).join(" "), /Machine: AMD EPYC ×2, guest of PVM, paravirtualised on PVM \(pvm-pv: running under PVM \(pv-lite\)\), clock kvm-clock, Linux 6\.18\.44, profiles by perf record -g -e cpu-clock -F 999\./);
  assert.match(captionLines({ k: 0.5, machine: { ...machine, hypervisor: null, paravirt: null, dmesgReadable: false } }, Infinity).join(" "),
    /Machine: AMD EPYC ×2, guest of an unnamed hypervisor, clock kvm-clock/);
  assert.match(captionLines({ k: 0.5, machine: { ...machine, hypervisorFlag: false, hypervisor: null, paravirt: null } }, Infinity).join(" "), /×2, no hypervisor, clock/);
});


test("the latency disk's model is named in the testbed caption: the FIFO model of older runs, the queued one", () => {
  const lines = captionLines({ k: 0.6, testbed: { kind: "emulated", report: { testbed: { server: { cores: "1",
    latencyDisk: { model: { seekMs: 4.7, rotationMs: 3, mbPerS: 60 }, daemon: null } } } } } }).join(" ");
  assert.match(lines, /disk: a read costs 4\.7 ms seek \+ 3 ms rotation \(unless sequential\) \+ size at 60 MB\/s, times ÷ k/);

  const queued = captionLines({ k: 0.6, testbed: { kind: "emulated", report: { testbed: { server: { cores: "1",
    latencyDisk: { model: { seekMs: 4.7, trackToTrackMs: 0.2, fullStrokeMs: 10, cylinders: 50000, rotationMs: 3, mbPerS: 60,
      capacityGB: 73.4, spread: 1, deadlineMs: 500 }, daemon: null } } } } } }).join(" ");
  assert.match(queued, /disk: seek by distance \(0\.2–10 ms, mean 4\.7 ms\) \+ 3 ms rotation \(unless sequential\) \+ size at 60 MB\/s, queued reads in C-LOOK order/);
});

test("the runner's calibration record reads as one sentence in captions", () => {
  const text = describeCalibration({ quota: 0.18059, k: 0.6, converged: true, target_replies_testbed: 6073.2, probes: [{}, {}], date: "2026-11-26T12:27:12Z" });
  assert.match(text, /quota 0\.181 of a core/);
  assert.match(text, /target 6073\/s on the testbed; converged, 2 probes, 2026-11-26/);
  assert.match(describeCalibration({ quota: 0.2, target_replies_testbed: 1, converged: false }), /NOT converged/);
  const fitted = describeCalibration({ quota: 0.35123, target_replies_testbed: 6073.2, converged: true, quota_ci95: [0.3441, 0.3587] });
  assert.match(fitted, /quota 0\.351 of a core \(95% interval 0\.344–0\.359, a line fitted through the probes\)/);
  assert.match(describeCalibration({ quota: 0.366, target_replies_testbed: 6073.2, converged: true, method: "fit", quota_ci95: null }),
    /interval is unbounded/);
});

test.run();
