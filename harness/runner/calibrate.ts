// Calibration (docs/scale.md): the largest k the clients can drive, and the server CPU quota that makes the reference
// configuration reply at Table 1's rate. The searches are pure; measuring is passed in.
import type { Rng } from "../workload/random.ts";

/** The reference: userver-nb-30K-4p offered 12,000 req/s replied at 10,122 replies/s (Table 1). */
export const REFERENCE = { label: "userver-nb-30K-4p", offered: 12000, replies: 10122, tolerance: 0.03 };
/** k candidates, largest first; the fd limit caps k at MAX_K. */
export const K_CANDIDATES = [0.6, 0.5, 0.4, 0.3, 0.2, 0.1];

export interface Probe { quota: number; replies: number; error: number }

/** Relative width of a bracket of quotas (one probe below the target, one above) that settles the quota. */
export const QUOTA_TOLERANCE = 0.01;

/**
 * Finds the quota at which measure(quota) (testbed replies/s) is within `tolerance` of target. Reply rate rises in
 * proportion to CPU until the offered rate is met, then stays flat; the target (84% of the offered rate) lies on the
 * proportional part. So after the top of the range (flat: it only shows the target is reachable) and one bisection
 * step on log(quota), each probe scales the last one by target/replies — two or three probes where bisection needs
 * six — falling back to bisection whenever that step would leave the bracket. Near saturation a server on this
 * testbed can be bistable (replies jump across the target between quotas 1% apart, as timeouts feed back into the
 * partially-open load): the quota is then known as well as it can be once probes on both sides of the target lie
 * within QUOTA_TOLERANCE of each other, and the answer is the middle of that bracket (`bracketed`).
 */
export async function searchQuota(measure: (quota: number) => Promise<number>, target: number,
  o: { lo?: number; hi?: number; tolerance?: number; maxProbes?: number; log?: (m: string) => void } = {}):
  Promise<{ converged: boolean; bracketed?: boolean; quota: number; probes: Probe[] }> {
  let lo = o.lo ?? 0.02, hi = o.hi ?? 1;
  const tol = o.tolerance ?? REFERENCE.tolerance;
  const probes: Probe[] = [];
  const probe = async (q: number) => {
    const replies = await measure(q);
    const p = { quota: q, replies, error: (replies - target) / target };
    probes.push(p);
    o.log?.(`quota ${q.toFixed(4)} → ${replies.toFixed(0)} replies/s (${(100 * p.error).toFixed(1)}% from ${target.toFixed(0)})`);
    return p;
  };
  // The top of the range must reach the target, or no quota will.
  const top = await probe(hi);
  if (Math.abs(top.error) <= tol) return { converged: true, quota: hi, probes };
  if (top.error < 0) return { converged: false, quota: hi, probes };
  for (let i = 1; i < (o.maxProbes ?? 10); i++) {
    const last = probes[probes.length - 1];
    const scaled = last.quota * (target / last.replies);
    const q = i > 1 && scaled > lo && scaled < hi ? scaled : Math.sqrt(lo * hi);
    const p = await probe(q);
    if (Math.abs(p.error) <= tol) return { converged: true, quota: q, probes };
    if (p.error < 0) lo = q; else hi = q;
    const below = probes.some((x) => x.quota === lo && x.error < 0), above = probes.some((x) => x.quota === hi && x.error > 0);
    if (below && above && (hi - lo) / hi <= QUOTA_TOLERANCE) return { converged: true, bracketed: true, quota: Math.sqrt(lo * hi), probes };
  }
  const best = probes.reduce((a, b) => (Math.abs(b.error) < Math.abs(a.error) ? b : a));
  return { converged: false, quota: best.quota, probes };
}

/** The largest k whose check (the clients keep up at the axis' top rate) passes. */
export async function searchK(clientsKeepUp: (k: number) => Promise<boolean>, candidates = K_CANDIDATES,
  log?: (m: string) => void): Promise<{ k: number | null; tried: Array<{ k: number; ok: boolean }> }> {
  const tried: Array<{ k: number; ok: boolean }> = [];
  for (const k of candidates) {
    const ok = await clientsKeepUp(k);
    tried.push({ k, ok });
    log?.(`k = ${k}: ${ok ? "the clients keep up" : "client-bound"}`);
    if (ok) return { k, tried };
  }
  return { k: null, tried };
}

/** The refinement's probes: relative offsets from the centre of a round, run in a seeded random order. Past its knee
 *  a server's reply rate is a random variable (a saturated point can switch between two regimes at a random moment of
 *  its window; one probe lands ±5–10% from another at the same quota), so one probe per quota cannot place the
 *  target: a line fitted through probes on both sides places it where the *expected* reply rate meets the target,
 *  with an interval from the probes' own scatter. ±12% makes the quota's own effect on the replies (proportional
 *  below saturation) larger than that scatter. */
export const REFINE_OFFSETS = [-0.12, -0.06, 0, 0.06, 0.12];
/** Probes within this relative distance of a round's centre join its fit. */
const FIT_RANGE = 0.15;
/** A round whose line meets the target outside its probes moves the centre there, by at most this factor. */
const MAX_RECENTRE = 1.25;
const BOOTSTRAP = 2000;

export interface QuotaFit {
  quota: number;                 // where the fitted line meets the target
  ci95: [number, number] | null; // bootstrap percentile interval of that quota (null: the fit failed too often)
  intercept: number; slope: number; // replies = intercept + slope · quota (testbed replies/s)
  probes: Probe[];               // the probes fitted
  ok: boolean;                   // a rising line whose crossing lies within the probes' range of quotas
}

/** Least squares of replies on quota; the quota at which the line reaches `target` (NaN if the slope is not > 0). */
function crossing(ps: Probe[], target: number): { a: number; b: number; q: number } {
  const n = ps.length, mx = ps.reduce((s, p) => s + p.quota, 0) / n, my = ps.reduce((s, p) => s + p.replies, 0) / n;
  const sxx = ps.reduce((s, p) => s + (p.quota - mx) ** 2, 0), sxy = ps.reduce((s, p) => s + (p.quota - mx) * (p.replies - my), 0);
  const b = sxx > 0 ? sxy / sxx : NaN, a = my - b * mx;
  return { a, b, q: b > 0 ? (target - a) / b : NaN };
}

/** Fits the probes near `around` and returns the quota at the target with its interval; `uniform` draws the
 *  bootstrap's resamples (pass a seeded generator: the interval is then reproducible). */
export function fitQuota(probes: Probe[], around: number, target: number, uniform: () => number): QuotaFit {
  const ps = probes.filter((p) => Math.abs(p.quota / around - 1) <= FIT_RANGE + 1e-9);
  const { a, b, q } = crossing(ps, target);
  const lo = Math.min(...ps.map((p) => p.quota)), hi = Math.max(...ps.map((p) => p.quota));
  const qs: number[] = [];
  for (let i = 0; i < BOOTSTRAP && ps.length >= 3; i++) {
    const r = crossing(Array.from(ps, () => ps[Math.floor(uniform() * ps.length)]), target).q;
    if (Number.isFinite(r)) qs.push(r);
  }
  qs.sort((x, y) => x - y);
  const ci95: [number, number] | null = qs.length >= 0.95 * BOOTSTRAP
    ? [qs[Math.floor(0.025 * qs.length)], qs[Math.ceil(0.975 * qs.length) - 1]] : null;
  return { quota: q, ci95, intercept: a, slope: b, probes: ps, ok: Number.isFinite(q) && q >= lo && q <= hi };
}

/** The refinement after the search: rounds of probes at REFINE_OFFSETS around a centre (first the search's answer),
 *  each in a random order drawn from `rng`, fitted with every earlier probe near the centre. A round whose line meets
 *  the target within its probes, with a bounded interval, ends it; otherwise the next round is centred where the line
 *  meets the target (or, with no rising line, a step towards the target), by at most MAX_RECENTRE. The fit converges
 *  if its line meets the target within its probes; its interval may stay unbounded (more than 5% of the bootstrap's
 *  resamples without a rising line), which says the reference point pins the quota only loosely on this testbed.
 *  `min` is the smallest quota allowed. */
export async function refineQuota(measure: (quota: number) => Promise<number>, start: number, target: number,
  o: { earlier?: Probe[]; rng: Rng; rounds?: number; min?: number; log?: (m: string) => void }):
  Promise<{ fit: QuotaFit; probes: Probe[]; centres: number[] }> {
  const probes: Probe[] = [...(o.earlier ?? [])], centres: number[] = [];
  let centre = start, fit: QuotaFit | null = null;
  for (let round = 0; round < (o.rounds ?? 3); round++) {
    centres.push(centre);
    for (const d of o.rng.shuffled(REFINE_OFFSETS)) {
      const quota = Math.max(o.min ?? 0, centre * (1 + d));
      const replies = await measure(quota);
      probes.push({ quota, replies, error: (replies - target) / target });
      o.log?.(`fit probe: quota ${quota.toFixed(4)} → ${replies.toFixed(0)} replies/s (${(100 * (replies - target) / target).toFixed(1)}% from ${target.toFixed(0)})`);
    }
    fit = fitQuota(probes, centre, target, () => o.rng.next());
    if (fit.ok && fit.ci95) break; // a crossing within the probes, and an interval: more probes would only narrow it
    const near = fit.probes.reduce((s, p) => s + p.error, 0) / fit.probes.length; // > 0: replies above the target
    const towards = Number.isFinite(fit.quota) ? fit.quota / centre : near > 0 ? 1 / MAX_RECENTRE : MAX_RECENTRE;
    centre *= Math.min(MAX_RECENTRE, Math.max(1 / MAX_RECENTRE, towards));
    o.log?.(`${fit.ok ? "no bounded interval yet" : "the line meets the target outside the probes"}: next round around quota ${centre.toFixed(4)}`);
  }
  return { fit: fit!, probes: probes.slice(o.earlier?.length ?? 0), centres };
}
