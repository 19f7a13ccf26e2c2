// Vega-Lite specs of Figures 1–8: our series in paper units, failed points marked, the paper's values beside ours.
import { FIGURE_TITLES, PAPER_VALUES, TABLE1_CONFIGS, TABLE1_RATE, table1Value } from "./paper.js";
import { byTrials, figurePoints, type Point, type Results, type RunInfo } from "./results.js";
import { summarize } from "./stats.js";
import { architectureOf } from "./labels.js";
import { seriesStyles } from "./style.js";

export interface Figure {
  n: number;
  /** File name without extension: figure-N. */
  name: string;
  /** A Vega-Lite v5 spec, as plain JSON (typed loosely: checking it against vega-lite's types costs seconds in tslab). */
  spec: Record<string, unknown>;
}

const VERIFICATION: Record<string, string> = {
  pass: "passed",
  "fail-timeouts": "failed: timeouts (§3.4)",
  "fail-bytes": "failed: wrong bytes (§3.4)",
  "fail-errors": "failed: error replies",
  "invalid-client": "invalid: client-bound",
  "server-failed": "server failed",
};
const FAILED_SHAPES = ["triangle-down", "diamond", "triangle-up", "square", "cross"];

function wrap(text: string, width = 115): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** "key=value" for the scalar fields of an object and of its direct children, so a caption states what run.json holds. */
export function describeFields(obj: Record<string, unknown> | undefined, maxFields = 10): string {
  if (!obj) return "not recorded";
  const out: string[] = [];
  const visit = (o: Record<string, unknown>, prefix: string, depth: number) => {
    for (const [key, v] of Object.entries(o)) {
      if (v !== null && typeof v === "object" && !Array.isArray(v) && depth === 0) visit(v as Record<string, unknown>, `${prefix}${key}.`, 1);
      else if (["string", "number", "boolean"].includes(typeof v)) out.push(`${prefix}${key}=${typeof v === "number" && !Number.isInteger(v) ? +v.toPrecision(4) : v}`);
    }
  };
  visit(obj, "", 0);
  return out.length > maxFields ? `${out.slice(0, maxFields).join(", ")}, …` : out.join(", ") || "not recorded";
}

/** The value at a dotted path of a JSON object, or undefined. */
function lookup(obj: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, key) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[key] : undefined), obj);
}

/**
 * The testbed in a few words, from the env report the runner stores in run.json (schema webarch-testbed-report/1);
 * any other shape is described field by field.
 */
export function describeTestbed(testbed: Record<string, unknown> | undefined): string {
  const server = (key: string) => lookup(testbed, `report.testbed.server.${key}`);
  const number = (v: unknown, scale = 1, unit = "") => (typeof v === "number" ? `${+(v / scale).toPrecision(3)}${unit}` : undefined);
  const facts = [
    typeof testbed?.kind === "string" ? `${testbed.kind} testbed` : undefined,
    number(server("cores"), 1, " server core(s)"),
    number(server("cpuQuota.fractionOfCore") ?? testbed?.quota, 1, " of a core (CPU quota)"),
    number(server("memoryLimitBytes"), 2 ** 30, " GiB memory"),
    number(server("diskThrottle.readIops"), 1, " disk reads/s"),
    number(server("diskThrottle.readBps"), 1e6, " MB/s disk"),
    describeDiskModel(server("latencyDisk.model")),
    typeof lookup(testbed, "report.machine.kernelRelease") === "string" ? `Linux ${lookup(testbed, "report.machine.kernelRelease")}` : undefined,
    lookup(testbed, "report.machine.cpuModelName") as string | undefined,
  ].filter((f): f is string => typeof f === "string");
  return facts.length > 1 ? facts.join(", ") : describeFields(testbed);
}

/** The emulated testbed's latency disk (env/disk): its 10k-rpm model, whose times the runner divides by k. Runs made
 *  before the model had a seek curve and a queue record only the average seek: their disk served reads in arrival
 *  order, every seek at the average. */
function describeDiskModel(model: unknown): string | undefined {
  const m = model as { seekMs?: unknown; rotationMs?: unknown; mbPerS?: unknown; trackToTrackMs?: unknown; fullStrokeMs?: unknown } | undefined;
  if (typeof m?.seekMs !== "number" || typeof m.rotationMs !== "number" || typeof m.mbPerS !== "number") return undefined;
  if (typeof m.trackToTrackMs === "number" && typeof m.fullStrokeMs === "number") {
    return `disk: seek by distance (${m.trackToTrackMs}–${m.fullStrokeMs} ms, mean ${m.seekMs} ms) + ${m.rotationMs} ms rotation ` +
      `(unless sequential) + size at ${m.mbPerS} MB/s, queued reads in C-LOOK order, times ÷ k`;
  }
  return `disk: a read costs ${m.seekMs} ms seek + ${m.rotationMs} ms rotation (unless sequential) + size at ${m.mbPerS} MB/s, times ÷ k`;
}

/** The runner's calibration record in one sentence (its quota, target and outcome); other shapes field by field. */
export function describeCalibration(cal: Record<string, unknown> | undefined): string {
  const { quota, target_replies_testbed: target, converged, probes, date, quota_ci95: ci, method } = cal ?? {};
  if (typeof quota !== "number" || typeof target !== "number") return describeFields(cal);
  const tries = Array.isArray(probes) ? `, ${probes.length} probes` : "";
  const when = typeof date === "string" ? `, ${date.slice(0, 10)}` : "";
  const interval = Array.isArray(ci) && ci.length === 2 ? ` (95% interval ${ci.map((x) => +Number(x).toPrecision(3)).join("–")}, a line fitted through the probes)`
    : method === "fit" ? " (a line fitted through the probes; its 95% interval is unbounded: the reference point pins the quota only loosely)" : "";
  return `server CPU quota ${+quota.toPrecision(3)} of a core${interval}, chosen so that userver-nb-30K-4p offered 12,000·k req/s ` +
    `replies at 10,122·k replies/s (target ${Math.round(target)}/s on the testbed; ${converged ? "converged" : "NOT converged"}${tries}${when})`;
}

/** The machine the run measured on, from run.json's `machine` (the runner's harness/lib/machine.ts): CPU, hypervisor and
 *  paravirtualisation as the kernel reported them, and how perf sampled. Profiles and CPU quotas differ by kind of guest. */
export function describeMachine(machine: unknown): string {
  const m = machine as Record<string, unknown> | undefined;
  if (!m || typeof m.cpuModel !== "string") return "not recorded";
  const notes = Array.isArray(m.paravirtNotes) && m.paravirtNotes.length ? ` (${m.paravirtNotes.join("; ")})` : "";
  const guest = typeof m.hypervisor === "string" ? `guest of ${m.hypervisor}` : m.hypervisorFlag ? "guest of an unnamed hypervisor"
    : m.dmesgReadable === false ? "hypervisor unknown (boot messages not readable)" : "no hypervisor";
  return [
    `${m.cpuModel}${typeof m.cpus === "number" ? ` ×${m.cpus}` : ""}`,
    guest,
    typeof m.paravirt === "string" ? `paravirtualised on ${m.paravirt}${notes}` : undefined,
    typeof m.clocksource === "string" ? `clock ${m.clocksource}` : undefined,
    typeof m.kernel === "string" ? `Linux ${m.kernel}` : undefined,
    typeof m.perfRecord === "string" ? `profiles by ${m.perfRecord}` : undefined,
  ].filter(Boolean).join(", ");
}

/** Which code measured the run: its commit, or the first and last of the commits its resumed segments ran at. */
function describeCommits(run: RunInfo): string {
  const segments = Array.isArray(run.segments) ? (run.segments as Array<{ commit?: unknown }>) : [];
  const commits = [...new Set(segments.map((s) => s.commit).filter((c): c is string => typeof c === "string"))];
  if (commits.length > 1)
    return `${segments.length} segments at ${commits.length} commits, ${commits[0].slice(0, 10)} to ${commits[commits.length - 1].slice(0, 10)} (each segment's in run.json)`;
  const commit = (commits[0] ?? run.commit ?? lookup(run, "git.commit")) as string | undefined;
  return commit ? `commit ${commit.slice(0, 10)}${lookup(run, "git.dirty") ? " (dirty)" : ""}` : "";
}

/** The caption every figure carries: which run, k, the calibration, the testbed and the machine. */
export function captionLines(run: RunInfo, width = 115): string[] {
  const id = run.run_id ?? "unnamed run";
  const facts = [
    `profile ${run.profile ?? "?"}`,
    run.status ? `status ${run.status}` : "",
    describeCommits(run),
  ].filter(Boolean).join(", ");
  const calibration = typeof run.calibration === "string" ? run.calibration : describeCalibration(run.calibration);
  return [
    ...wrap(`Ours: ${id} (${facts}), k = ${run.k}: rates and throughput in paper units (testbed value ÷ k).`, width),
    ...wrap(`Calibration: ${calibration}.`, width),
    ...wrap(`Testbed: ${describeTestbed(run.testbed)}.`, width),
    ...wrap(`Machine: ${describeMachine(run.machine)}.`, width),
  ];
}

/** The caption's word on trials: which n each line has, and what its bars are. */
export function trialsNote(medians: Array<{ series: string; n: number; coverage: number }>): string {
  const ns = new Map<string, number[]>();
  for (const m of medians) ns.set(m.series, [...(ns.get(m.series) ?? []), m.n]);
  const byN = new Map<string, string[]>();
  for (const [series, n] of ns) {
    const lo = Math.min(...n), hi = Math.max(...n);
    const key = lo === hi ? `n = ${lo}` : `n = ${lo}–${hi} by rate`;
    byN.set(key, [...(byN.get(key) ?? []), series]);
  }
  if (!byN.size) return "";
  const coverages = [...new Set(medians.filter((m) => m.n > 1).map((m) => `${+(100 * m.coverage).toFixed(1)}% at n = ${m.n}`))].sort();
  const lines = [...byN].map(([key, series]) => (byN.size === 1 ? `every line ${key}` : `${key}: ${series.join(", ")}`)).join("; ");
  return `Trials: ${lines}. Lines pass through the median of a rate's trials; ` + (coverages.length
    ? `bars span the median's order-statistic confidence interval (the range of the trials below n = 6; coverage ${coverages.join(", ")}); a rate with one trial is a point without a bar.`
    : "one trial per rate: points without bars, their noise unmeasured.");
}

/** Series of a figure ordered as the paper's legends are (§7): best peak throughput (a rate's median) first. */
function seriesByPeak(points: Point[]): string[] {
  const peak = new Map<string, number>();
  for (const g of byTrials(points)) {
    const m = summarize(g.points.map((p) => p.throughput_mbps))?.median;
    if (m !== undefined) peak.set(g.series, Math.max(peak.get(g.series) ?? -Infinity, m));
  }
  const all = [...new Set(points.map((p) => p.series))];
  return all.sort((a, b) => (peak.get(b) ?? -Infinity) - (peak.get(a) ?? -Infinity) || a.localeCompare(b));
}

interface Reference {
  series: string;
  kind: string;
  text: string;
  rate?: number;
  mbps: number;
  colour: string;
}

/** The paper's throughput values for Figure n: levels quoted in the text, and for Figure 7 Table 1 at 12,000 req/s. */
function paperReferences(n: number, colourOf: (series: string) => string): Reference[] {
  const refs: Reference[] = PAPER_VALUES.filter((v) => v.figure === n && v.unit === "Mbps").map((v) => ({
    series: v.series ?? "",
    kind: v.kind,
    text: `paper ${v.section}: ${v.series ? `${v.series} ` : "10K connections "}${v.kind} ${v.value}`,
    mbps: v.value,
    colour: colourOf(v.series ?? ""),
  }));
  if (n === 7) {
    for (const { label } of TABLE1_CONFIGS) {
      refs.push({ series: label, kind: "table1", text: "", rate: TABLE1_RATE, mbps: table1Value("throughput_mbps", label)!, colour: colourOf(label) });
    }
  }
  return refs;
}

function build(results: Results, n: number, yField: "throughput_mbps" | "mean_response_ms", yTitle: string): Figure {
  const points = figurePoints(results, n);
  const order = seriesByPeak(points);
  const styles = seriesStyles(order);
  const colourOf = (s: string) => styles.get(s)?.colour ?? "#737373";
  const rows = points.map((p) => ({
    series: p.series, rate: p.offered_rate, y: p[yField], trial: p.trial, verdict: p.verdict, verification: VERIFICATION[p.verdict],
  }));
  // a rate's trials: the line passes through their median; with two or more, a bar spans the median's interval
  const medians = byTrials(points).flatMap((g) => {
    const s = summarize(g.points.map((p) => p[yField]));
    return s ? [{ series: g.series, rate: g.rate, y: s.median, lo: s.lo, hi: s.hi, n: s.n, coverage: s.coverage }] : [];
  });
  const refs = yField === "throughput_mbps" ? paperReferences(n, colourOf) : [];
  const maxRate = Math.max(30000, ...rows.map((r) => r.rate));
  const x = { field: "rate", type: "quantitative", title: "Requests/s", scale: { domain: [0, maxRate] } } as const;
  const y = { field: "y", type: "quantitative", title: yTitle, scale: { zero: true } } as const;
  const colour = {
    field: "series", type: "nominal", title: "Configuration",
    scale: { domain: order, range: order.map((s) => styles.get(s)!.colour) },
    legend: { symbolStrokeWidth: 2, symbolType: "stroke", labelLimit: 320 },
  } as const;
  const dash = { field: "series", type: "nominal", title: "Configuration", scale: { domain: order, range: order.map((s) => styles.get(s)!.dash) } } as const;
  const failedDomain = Object.values(VERIFICATION).slice(1);
  const notes = [
    points.length ? "" : `This run has no points for Figure ${n}: only the paper's values are drawn.`,
    "Filled points passed verification (§3.4); hollow points did not.",
    trialsNote(medians),
    refs.length ? "Thin dashed lines: levels quoted in the paper's text." : "",
    n === 7 ? "Open diamonds: the paper's Table 1 throughput at 12,000 req/s." : "",
    points.some((p) => architectureOf(p.series) === "nginx") ? "nginx: Debian's nginx as a present-day peer, not in the paper." : "",
  ].filter(Boolean).join(" ");

  const layers: object[] = [
    // through the median of a rate's trials; every trial is drawn as a point of its own below
    { data: { values: medians }, mark: { type: "line", strokeWidth: 1.8 }, encoding: { x, y, color: colour, strokeDash: dash } },
    {
      data: { values: medians.filter((m) => m.n > 1) }, mark: { type: "errorbar", ticks: { size: 6 }, thickness: 1.2 },
      encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" }, color: colour },
    },
    { data: { values: rows.filter((r) => r.verdict === "pass") }, mark: { type: "point", filled: true, size: 24, opacity: 0.7 }, encoding: { x, y, color: colour } },
    {
      data: { values: rows.filter((r) => r.verdict !== "pass") },
      mark: { type: "point", filled: false, size: 70, strokeWidth: 1.6 },
      encoding: {
        x, y, color: colour,
        shape: { field: "verification", type: "nominal", title: "Not passing", legend: { labelLimit: 320 }, scale: { domain: failedDomain, range: FAILED_SHAPES } },
      },
    },
  ];
  const levels = refs.filter((r) => r.rate === undefined);
  if (levels.length) {
    layers.push(
      { data: { values: levels }, mark: { type: "rule", strokeDash: [4, 3], strokeWidth: 1, opacity: 0.8 }, encoding: { y: { field: "mbps", type: "quantitative" }, stroke: { field: "colour", type: "nominal", scale: null } } },
      // Sustained levels are labelled at the right so that they do not overprint the peak just above them.
      ...[false, true].map((right) => ({
        data: { values: levels.filter((r) => r.kind === "sustained" === right) },
        mark: { type: "text", align: right ? "right" : "left", dx: right ? -4 : 4, dy: -5, fontSize: 9, x: right ? { expr: "width" } : 0 },
        encoding: { y: { field: "mbps", type: "quantitative" }, text: { field: "text" }, fill: { field: "colour", type: "nominal", scale: null } },
      })),
    );
  }
  const marks = refs.filter((r) => r.rate !== undefined);
  if (marks.length) {
    layers.push({
      data: { values: marks }, mark: { type: "point", shape: "diamond", filled: false, size: 130, strokeWidth: 2 },
      encoding: { x: { field: "rate", type: "quantitative" }, y: { field: "mbps", type: "quantitative" }, stroke: { field: "colour", type: "nominal", scale: null } },
    });
  }
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: `Figure ${n}: ${FIGURE_TITLES[n]}`, subtitle: [...captionLines(results.run), ...wrap(notes)], anchor: "start", subtitleFontSize: 10 },
    width: 640,
    height: 360,
    layer: layers,
    config: { font: "DejaVu Sans, sans-serif" },
  };
  return { n, name: `figure-${n}`, spec };
}

/** Figure n (1–7: throughput; 8: mean response time of Figure 7's configurations). */
export function figure(results: Results, n: number): Figure {
  if (!(n in FIGURE_TITLES)) throw new Error(`no Figure ${n} in the paper (1–8)`);
  return n === 8 ? build(results, 8, "mean_response_ms", "Mean response time (ms)") : build(results, n, "throughput_mbps", "Throughput (Mbps)");
}
