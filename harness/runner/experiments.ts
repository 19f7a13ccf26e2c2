// The paper's experiments as data (series × offered rates, paper units) and the run profiles that select from them.
import { parseLabel, type ServerConfig } from "./labels.ts";

export interface Experiment {
  id: string;
  title: string;
  /** the paper's legend labels, best first where the paper orders them */
  series: string[];
  /** offered rates in paper units (req/s) that the full profile runs */
  rates: number[];
  /** record perf on the server core at every point */
  perf?: boolean;
  /** an experiment whose points are another's (Figure 8 plots Figure 7's response times) */
  sameAs?: string;
  note?: string;
}

/** The paper's x-axis: 2,500 … 30,000 req/s in steps of 2,500 (saturation near 10,000–15,000). */
const AXIS = Array.from({ length: 12 }, (_, i) => 2500 * (i + 1));
/** The highest offered rate any experiment or benchmark runs (paper units). */
export const AXIS_TOP = AXIS[AXIS.length - 1];

const FIG7 = [
  "userver-shared-nb-30K-10p", "watpipe-20K-25p", "userver-nb-30K-4p", "userver-b-30K-100p",
  "knot-b-20K-100w", "knot-nb-15K-50w", "knot-c-20K-100w-1000MB", "userver-nb-30K-1p",
];

/** Table 1's seven configurations, in the paper's column order. */
export const TABLE1_SERIES = [
  "knot-c-20K-100w-1000MB", "knot-nb-15K-50w", "knot-b-20K-100w", "userver-shared-nb-30K-10p",
  "userver-nb-30K-4p", "userver-b-30K-100p", "watpipe-20K-25p",
];

// Figures 1–6's legends are not in the paper's text; these lines are the ones its prose names or implies (§4.4, §5.3, §6.1).
// userver-nb-30K-6p stands for §5.3's "adding more processes does not improve performance (experiments not shown)" (C10).
export const EXPERIMENTS: Experiment[] = [
  { id: "fig1", title: "Tuning Knot – application-level cache", rates: AXIS,
    series: ["knot-c-20K-100w-1000MB", "knot-c-20K-100w-500MB", "knot-c-20K-100w-100MB", "knot-c-20K-100w-10MB"] },
  { id: "fig2", title: "Tuning Knot – non-blocking sendfile", rates: AXIS,
    series: ["knot-nb-20K-50w", "knot-nb-15K-50w", "knot-nb-15K-25w", "knot-nb-15K-5w", "knot-nb-10K-25w", "knot-nb-10K-5w"] },
  { id: "fig3", title: "Tuning Knot – blocking sendfile", rates: AXIS,
    series: ["knot-b-20K-100w", "knot-b-40K-100w", "knot-b-20K-50w", "knot-b-40K-50w", "knot-b-10K-100w", "knot-b-10K-50w"] },
  { id: "fig4", title: "Tuning the µserver – non-blocking sendfile", rates: AXIS,
    series: ["userver-nb-30K-4p", "userver-nb-30K-3p", "userver-nb-30K-2p", "userver-nb-30K-1p", "userver-nb-10K-1p", "userver-nb-10K-2p", "userver-nb-30K-6p"] },
  { id: "fig5", title: "Tuning the µserver – blocking sendfile", rates: AXIS,
    series: ["userver-b-30K-100p", "userver-b-50K-200p", "userver-b-30K-200p", "userver-b-50K-100p", "userver-b-30K-75p", "userver-b-50K-75p"] },
  { id: "fig6", title: "Tuning WatPipe", rates: AXIS,
    series: ["watpipe-20K-50p", "watpipe-20K-25p", "watpipe-20K-5p", "watpipe-10K-25p", "watpipe-10K-5p"] },
  { id: "fig7", title: "Throughput of different architectures", rates: AXIS, series: FIG7 },
  { id: "fig8", title: "Response times of different architectures", rates: AXIS, series: FIG7, sameAs: "fig7" },
  { id: "table1", title: "Server performance statistics at 12,000 req/s", rates: [12000], series: TABLE1_SERIES, perf: true },
  { id: "poll", title: "knot-b-20K-50w's poll overhead at 12,000, 25,000 and 30,000 req/s (§4.4)", rates: [12000, 25000, 30000],
    series: ["knot-b-20K-50w"], perf: true, note: "C9's profile: the paper quotes this configuration's poll overhead at three rates" },
  { id: "peers", title: "Peers: Debian nginx with sendfile", rates: AXIS, series: ["nginx-1w", "nginx-4w"],
    note: "not in the paper: what people use today, configured like our servers" },
];

/** Per-request client timeout of the paper (§3.2). */
export const CLIENT_TIMEOUT_S = 15;
/** A load run ends at most the client timeout plus this grace after its last session arrival. */
const GRACE_S = 2;

/** An experiment's trials in a profile: one number for each of its rates, or rate → trials (a rate not named: 1). */
export type Trials = number | Record<string, number>;

export interface Profile {
  name: string;
  description: string;
  /** experiment id → the paper rates this profile runs (a subset of the experiment's rates) */
  plan: Record<string, number[]>;
  /** experiment id → how many trials its points run (an experiment not named: 1); run.json records it */
  trials?: Record<string, Trials>;
  warmupS: number;      // unmeasured load before the window: the cache after eviction and the sessions (≈9 s of think time each) settle
  durationS: number;    // measured load
  idleS: number;        // idle after each point (the paper: 120 s)
  clientTimeoutS: number; // per-request timeout: the paper's 15 s (shorter only for smoke tests)
}

/** The trials a profile runs of an experiment's rate. */
export function trialsOf(profile: Profile, experiment: string, rate: number): number {
  const t = profile.trials?.[experiment] ?? 1;
  return typeof t === "number" ? t : (t[String(rate)] ?? 1);
}

const STD_RATES = [5000, 10000, 12500, 15000, 20000, 25000, 30000];

/** The rates at which the tuning figures' claims compare their lines: saturation's onset (most of their peaks), the
 *  effects' 15,000 and 30,000 req/s, and for Figure 3 25,000 (C9: knot-b-20K-50w's poll set grows 15K → 25K → 30K). */
const TUNING_CLAIM_RATES: Record<string, number[]> = {
  fig1: [10000, 15000, 30000], fig2: [10000, 15000, 30000], fig3: [10000, 15000, 25000, 30000],
  fig4: [10000, 15000, 30000], fig5: [10000, 15000, 30000], fig6: [10000, 15000, 30000],
};

/** The peers' rates in the standard profile (a glance at nginx along the axis), and their trials' in every profile. */
const PEER_RATES = [5000, 10000, 15000, 30000];

/**
 * n = 3 wherever the claims (notebooks/lib/claims.ts) compare our lines with one another — effects, orderings,
 * equivalences —, so that each comparison has a confidence interval: Figure 7's eight lines at every rate (C1–C5,
 * C16, C17), Table 1's seven (C15) and the tuning figures at the rates their claims use (C7 Figure 1, C8 Figure 2,
 * C9 Figure 3, C10–C11 Figure 4, C12 Figure 5, C13 Figure 6), and the peers, whose one comparison (userver's SPED over
 * nginx-1w) the claims report gives with its interval. One trial for `poll` (C9's poll overhead is a level beside the
 * paper's, not a comparison).
 */
const THREE_TRIALS: Record<string, Trials> = {
  fig7: 3, table1: 3, peers: Object.fromEntries(PEER_RATES.map((r) => [String(r), 3])),
  ...Object.fromEntries(Object.entries(TUNING_CLAIM_RATES).map(([id, rates]) => [id, Object.fromEntries(rates.map((r) => [String(r), 3]))])),
};

export const PROFILES: Record<string, Profile> = {
  quick: {
    name: "quick",
    description: "Figure 7's 8 configurations at 15,000 req/s in 2 trials (n = 2: the run's own noise); Table 1 at 12,000 req/s in 1 trial (n = 1)",
    plan: { fig7: [15000], table1: [12000] },
    trials: { fig7: 2 },
    warmupS: 10, durationS: 20, idleS: 3, clientTimeoutS: CLIENT_TIMEOUT_S,
  },
  standard: {
    name: "standard",
    description: "every figure at 7 rates, the peers at 4, 40-second points; n = 3 for Figure 7 (every rate), Table 1, and the tuning " +
      "figures at 10,000, 15,000 and 30,000 req/s (Figure 3 also 25,000), and the peers; n = 1 for the tuning figures' other rates and C9's profiles",
    // an experiment over the whole axis runs 7 of its rates; one with a few rates of its own (Table 1, C9's profiles) runs
    // those; the peers (not in the paper) a glance at 4
    plan: {
      ...Object.fromEntries(EXPERIMENTS.filter((e) => !e.sameAs).map((e) => [e.id, e.rates === AXIS ? STD_RATES : e.rates])),
      peers: PEER_RATES,
    },
    trials: THREE_TRIALS,
    warmupS: 15, durationS: 40, idleS: 2, clientTimeoutS: CLIENT_TIMEOUT_S,
  },
  full: {
    name: "full",
    description: "every line of every figure at the paper's 12 rates, 4-minute points, 2-minute idle (the paper's); n = 3 as in standard " +
      "(Figure 7 and Table 1 at every rate, the tuning figures at 10,000, 15,000 and 30,000 req/s, Figure 3 also 25,000, the peers at standard's 4), n = 1 elsewhere",
    plan: Object.fromEntries(EXPERIMENTS.filter((e) => !e.sameAs).map((e) => [e.id, e.rates])),
    trials: THREE_TRIALS,
    warmupS: 60, durationS: 240, idleS: 120, clientTimeoutS: CLIENT_TIMEOUT_S,
  },
};

export function getExperiment(id: string): Experiment {
  const e = EXPERIMENTS.find((x) => x.id === id);
  if (!e) throw new Error(`unknown experiment "${id}"; valid: ${EXPERIMENTS.map((x) => x.id).join(", ")}`);
  return e;
}

export function getProfile(name: string): Profile {
  const p = PROFILES[name];
  if (!p) throw new Error(`unknown profile "${name}"; valid: ${Object.keys(PROFILES).join(", ")}`);
  return p;
}

/** Every label the experiments use, for error messages and checks. */
export function knownLabels(): string[] {
  return [...new Set(EXPERIMENTS.flatMap((e) => e.series))];
}

export interface PointSpec {
  id: string;           // unique within a run: figure__series__rate__tN
  figure: string;
  config: ServerConfig;
  offeredRate: number;  // paper units
  perf: boolean;
  /** 1, 2, …: the trial this point belongs to (RMIT); 1 when absent (calibration and benchmark probes) */
  trial?: number;
}

export function pointId(figure: string, label: string, rate: number, trial = 1): string {
  return `${figure}__${label}__${rate}__t${trial}`;
}

export interface MatrixOptions {
  experiments?: string[];  // default: the profile's plan
  rates?: number[];        // override; each must be one of the experiment's rates
  series?: string[];       // restrict to these labels
}

/**
 * The run matrix: trial 1's points, then trial 2's, …; within a trial by experiment, then series, then rising rate
 * (the run loop draws each trial's order at random: see run.ts). A line in several figures (each of Figure 7's is the
 * best of a tuning figure's) is measured once per trial, under the first experiment that has it in that trial;
 * `figureLines` tells the notebooks which lines each figure draws.
 */
export function runMatrix(profile: Profile, o: MatrixOptions = {}): PointSpec[] {
  const points: PointSpec[] = [];
  const measured = new Set<string>();
  const plan = Object.entries(figureLines(profile, o)).map(([id, lines]) => {
    const exp = getExperiment(id);
    if (exp.sameAs) throw new Error(`${id} is drawn from ${exp.sameAs}'s points; run ${exp.sameAs}`);
    const rates = o.rates ?? profile.plan[id] ?? exp.rates;
    for (const r of rates) {
      if (!exp.rates.includes(r)) throw new Error(`rate ${r} is not one of ${id}'s rates; valid: ${exp.rates.join(", ")}`);
    }
    if (o.series) {
      for (const s of o.series) if (!exp.series.includes(s)) throw new Error(`series "${s}" is not in ${id}; valid: ${exp.series.join(", ")}`);
    }
    return { exp, lines, rates: [...rates].sort((a, b) => a - b) };
  });
  const trials = Math.max(1, ...plan.flatMap(({ exp, rates }) => rates.map((r) => trialsOf(profile, exp.id, r))));
  for (let trial = 1; trial <= trials; trial++) {
    for (const { exp, lines, rates } of plan) {
      for (const label of lines) {
        const config = parseLabel(label, knownLabels());
        for (const rate of rates.filter((r) => trial <= trialsOf(profile, exp.id, r))) {
          const key = `${label} ${rate} ${!!exp.perf} ${trial}`; // a profiled point (Table 1's) is not an unprofiled one
          if (measured.has(key)) continue;
          measured.add(key);
          points.push({ id: pointId(exp.id, label, rate, trial), figure: exp.id, config, offeredRate: rate, perf: !!exp.perf, trial });
        }
      }
    }
  }
  return points;
}

/** The lines each experiment of a matrix draws (recorded in run.json as `figure_lines`), whoever measured them. */
export function figureLines(profile: Profile, o: MatrixOptions = {}): Record<string, string[]> {
  const ids = o.experiments ?? Object.keys(profile.plan);
  return Object.fromEntries(ids.map((id) => [id, getExperiment(id).series.filter((s) => !o.series || o.series.includes(s))]));
}

/** Seconds a start, eviction and collection take around a point (measured ≈ 2 s on loopback with userver-nb-30K-4p). */
const START_STOP_S = 3;

/** Seconds the page cache's preparation before each point takes (run-context.ts, page-cache.ts): an estimate until measured. */
export const PREPARE_S = 30;

/** Seconds a point takes (its page-cache preparation, warm-up, window, idle, and the requests in flight at the
 *  window's end: none to wait for below saturation, up to the client timeout past it — counted here for the third
 *  of points past saturation), for the dry run and the first ETA. */
export function estimatePointS(profile: Profile): number {
  return PREPARE_S + profile.warmupS + profile.durationS + (profile.clientTimeoutS + GRACE_S) / 3 + profile.idleS + START_STOP_S;
}
