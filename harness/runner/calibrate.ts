// Calibration (docs/scale.md): the largest k the clients can drive, and the server CPU quota that makes the reference
// configuration reply at Table 1's rate. The searches are pure; measuring is passed in.

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
