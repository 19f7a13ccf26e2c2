// What a request stream of this workload reaches in the file set: each file's request probability, the expected
// number of distinct files and bytes among n requests (exact), how long a page cache takes to forget its start
// (Che's characteristic time), and the prefix of a stream replayed to bring a page cache to the state the stream
// itself leaves it in.
import { Rng } from "./random.ts";
import { FILES_PER_DIR, FileSampler, PAPER_SESSION_MODEL, type SessionModel } from "./sessions.ts";
import { SIZE_TABLE } from "../../lib/specweb.ts";

/** Each file's probability of being a request's file, and its size; indexed by file id (dir·36 + class·9 + index). */
export function filePopularity(dirs: number, model: SessionModel = PAPER_SESSION_MODEL): { p: Float64Array; size: Float64Array } {
  const dirW = Array.from({ length: dirs }, (_, r) => 1 / (r + 1) ** model.zipfAlpha);
  const dirSum = dirW.reduce((a, b) => a + b, 0);
  const clsSum = model.classMix.reduce((a, b) => a + b, 0);
  const fileSum = model.fileMix.reduce((a, b) => a + b, 0);
  const p = new Float64Array(dirs * FILES_PER_DIR), size = new Float64Array(dirs * FILES_PER_DIR);
  for (let d = 0; d < dirs; d++) {
    for (const [j, { cls, index, size: s }] of SIZE_TABLE.entries()) {
      p[d * FILES_PER_DIR + j] = (dirW[d] / dirSum) * (model.classMix[cls] / clsSum) * (model.fileMix[index] / fileSum);
      size[d * FILES_PER_DIR + j] = s;
    }
  }
  return { p, size };
}

export interface Footprint {
  files: number;       // expected distinct files among the requests
  bytes: number;       // their expected total size
  filesSd: number;     // upper bounds on the standard deviations of `files` and `bytes` (the indicators of distinct
  bytesSd: number;     // files are negatively correlated, so the sum of their variances bounds the variance)
}

/** Expected distinct files and bytes among n independent requests: Σ 1 − (1 − pᵢ)ⁿ over the files. */
export function expectedFootprint(dirs: number, n: number, model: SessionModel = PAPER_SESSION_MODEL): Footprint {
  const { p, size } = filePopularity(dirs, model);
  let files = 0, bytes = 0, filesVar = 0, bytesVar = 0;
  for (let i = 0; i < p.length; i++) {
    const q = -Math.expm1(n * Math.log1p(-p[i])); // P(file i requested at least once)
    files += q;
    bytes += q * size[i];
    filesVar += q * (1 - q);
    bytesVar += q * (1 - q) * size[i] ** 2;
  }
  return { files, bytes, filesSd: Math.sqrt(filesVar), bytesSd: Math.sqrt(bytesVar) };
}

/** Che's characteristic time of an LRU cache of `capacity` bytes under this stream, in requests: the T at which the
 *  files requested within the last T requests fill it (Σ sᵢ(1 − e^{−pᵢT}) = capacity). A cache's content depends on
 *  its start for about T requests; Infinity when the whole set fits. */
export function characteristicRequests(dirs: number, capacity: number, model: SessionModel = PAPER_SESSION_MODEL): number {
  const { p, size } = filePopularity(dirs, model);
  const held = (t: number) => p.reduce((a, pi, i) => a - size[i] * Math.expm1(-pi * t), 0);
  if (held(1e15) <= capacity) return Infinity;
  let lo = 1, hi = 1e15;
  while (hi / lo > 1.001) {
    const mid = Math.sqrt(lo * hi);
    if (held(mid) < capacity) lo = mid; else hi = mid;
  }
  return hi;
}

/** How many of a file's most recent accesses a replayed prefix keeps: the kernel's page cache keeps two lists
 *  (a page read once is inactive, read again it is active), so older accesses of a file leave no trace. */
export const ACCESSES_KEPT = 2;

/**
 * The prefix of a request stream, `requests` long, drawn from `rng`, with each file's older accesses elided: the file
 * ids of its last ACCESSES_KEPT accesses per file, in stream order. Replayed through a page cache (each file read
 * whole), it leaves the cache as the whole prefix would — the content and recency order an LRU keeps, and which
 * files were seen more than once — at the cost of reading each distinct file at most twice, not millions of times.
 */
export function replayPrefix(dirs: number, requests: number, rng: Rng, model: SessionModel = PAPER_SESSION_MODEL,
  keep = ACCESSES_KEPT): Int32Array {
  const sampler = new FileSampler(dirs, model);
  const stream = new Int32Array(requests);
  for (let i = 0; i < requests; i++) stream[i] = sampler.sample(rng);
  const seen = new Uint32Array(dirs * FILES_PER_DIR);
  const kept: number[] = [];
  for (let i = requests - 1; i >= 0; i--) {
    if (seen[stream[i]] < keep) { seen[stream[i]]++; kept.push(stream[i]); }
  }
  return Int32Array.from(kept.reverse());
}
