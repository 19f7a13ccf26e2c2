// Generates the paper's session logs (§3.2): SPECweb99 static access over the file set, replayed as httperf
// --wsesslog sessions with user and browser think times.
//
// How requests group into pages and bursts (see README.md for the longer argument):
// Barford & Crovella model a user as alternating ON periods (a page: a base file plus its embedded objects)
// and OFF periods. Between the requests of one page the browser is busy — parsing, fetching embedded objects,
// waiting for replies — which is the *active* off-period (Weibull, mean 0.346 s; the paper says 0.343 s);
// between pages the user reads, the *inactive* off-period (Pareto, mean 3.0 s). The paper uses both, and says
// the active one covers "sending requests to fetch objects embedded within that page". httperf, however, sends
// the rest of a burst as soon as the burst's first reply arrives, with no think time inside a burst. Writing a
// page as one burst would drop the active off-period altogether, so every request is its own burst (a column-0
// line) and its `think=` is the off-period that follows it: active when the next request belongs to the same
// page, inactive when it starts a new page. Pages are cut from a session's requests with Barford & Crovella's
// (SURGE) embedded-reference count: a page is 1 base + ⌊Pareto(k=1, α=2.43)⌋ embedded objects (mean 2.38
// requests), the last page cut at the session's end. SPECweb99 gives every request of a session (one keep-alive
// connection) the same file mix, so base and embedded objects are drawn alike.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLASS_MIX, FILE_MIX, fileSize, filePath, meanRequestBytes } from "../../lib/specweb.ts";
import { Discrete, Rng, paretoMean, samplePareto, sampleWeibull, weibullMean, zipf, type Pareto, type Weibull } from "./random.ts";
import { HTTPERF_MAX_SESSIONS, formatSessionLog, type LogSession } from "./wsesslog.ts";

/** Sessions one log may hold. More than httperf's 1,000 makes a log only harness/loadgen can replay; the runner
 *  needs that, since a point whose sessions repeat touches only the files of those few sessions. */
export const MAX_SESSIONS_PER_FILE = 1_000_000;

/** Every parameter of the access and think-time model. */
export interface SessionModel {
  zipfAlpha: number;                 // directory popularity: P(rank r) ∝ 1/r^α, rank 1 = dir00000
  classMix: ReadonlyArray<number>;   // P(class 0..3)
  fileMix: ReadonlyArray<number>;    // relative weight of file 0..8 within a class
  singleRequestFraction: number;     // sessions with exactly one request
  minRequests: number;               // the other sessions: uniform minRequests..maxRequests requests
  maxRequests: number;
  embeddedObjects: Pareto;           // a page is 1 + ⌊X⌋ requests, X ~ this Pareto
  activeOff: Weibull;                // think time between requests of one page (browser)
  inactiveOff: Pareto;               // think time between pages (user)
}

/** The paper's model (§3.2) with SURGE's page sizes. */
export const PAPER_SESSION_MODEL: SessionModel = {
  zipfAlpha: 1,
  classMix: CLASS_MIX,
  fileMix: FILE_MIX,
  singleRequestFraction: 0.3,
  minRequests: 5,
  maxRequests: 15,
  embeddedObjects: { k: 1, alpha: 2.43 },
  activeOff: { shape: 1.46, scale: 0.382 },
  inactiveOff: { k: 1, alpha: 1.5 },
};

export interface SessionLogOptions {
  outDir: string;            // created if missing
  files: number;             // one file per load-generator process
  sessionsPerFile: number;   // ≤ 1,000 for httperf (its limit), up to MAX_SESSIONS_PER_FILE for harness/loadgen; both replay them round-robin
  dirs: number;              // directories of the file set the logs address
  seed: number;              // file f is drawn from stream f of this seed, so it does not depend on `files`
  model?: SessionModel;      // default PAPER_SESSION_MODEL
}

/** One generated request: which file, and the think time that follows it (null after a session's last request). */
export interface GeneratedRequest {
  dir: number;
  cls: number;
  index: number;
  uri: string;
  thinkS: number | null;
  thinkKind: "active" | "inactive" | null;
}
export interface GeneratedSession { requests: GeneratedRequest[]; pageSizes: number[] }

/** Measured over the written logs, beside what the model predicts (`expected`). Times in seconds. */
export interface SessionLogStats {
  files: number;
  sessions: number;
  requests: number;
  meanRequestsPerSession: number;   // converts an offered request rate into the session rate
  meanPagesPerSession: number;
  meanRequestsPerPage: number;      // including pages cut short at a session's end
  meanBytesPerRequest: number;      // reply bodies
  meanActiveThinkS: number;
  meanInactiveThinkS: number;
  meanSessionThinkS: number;        // a session's duration apart from response times (sum of its think times)
  maxThinkS: number;
  thinksOver60s: number;            // gaps longer than the servers' default idle timeout
  expected: {
    meanRequestsPerSession: number;
    meanPagesPerSession: number;
    meanBytesPerRequest: number;
    meanActiveThinkS: number;
    meanInactiveThinkS: number;
    meanSessionThinkS: number;
  };
}

export interface SessionLogResult { paths: string[]; stats: SessionLogStats }

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Files per directory (SPECweb99: 4 classes of 9). A file's id is dir·36 + class·9 + index. */
export const FILES_PER_DIR = 36;

/** The file one request asks for: directory by Zipf, class and file by SPECweb99's mix, each drawn independently
 *  of every other request (so a stream's footprint follows from each file's probability: footprint.ts). */
export class FileSampler {
  private readonly dirs: Discrete;
  private readonly classes: Discrete;
  private readonly files: Discrete;

  constructor(dirs: number, model: SessionModel) {
    checkModel(model);
    this.dirs = zipf(dirs, model.zipfAlpha);
    this.classes = new Discrete(model.classMix);
    this.files = new Discrete(model.fileMix);
  }

  /** The next request's file id; draws directory, class, file in that order. */
  sample(rng: Rng): number {
    const dir = this.dirs.sample(rng);
    const cls = this.classes.sample(rng);
    return dir * FILES_PER_DIR + cls * 9 + this.files.sample(rng);
  }
}

/** The file-set path of a file id. */
export function fileIdPath(id: number): string {
  return filePath(Math.floor(id / FILES_PER_DIR), Math.floor((id % FILES_PER_DIR) / 9), id % 9);
}

/** Draws sessions from the model; one instance per random stream. */
export class SessionSampler {
  private readonly files: FileSampler;

  constructor(
    dirs: number,
    private readonly model: SessionModel,
    private readonly rng: Rng,
  ) {
    this.files = new FileSampler(dirs, model);
  }

  session(): GeneratedSession {
    const { rng, model } = this;
    const length = rng.next() < model.singleRequestFraction ? 1 : rng.int(model.minRequests, model.maxRequests);
    const pageSizes: number[] = [];
    for (let left = length; left > 0; ) {
      const size = Math.min(left, 1 + Math.floor(samplePareto(rng, model.embeddedObjects)));
      pageSizes.push(size);
      left -= size;
    }
    const requests: GeneratedRequest[] = [];
    for (const size of pageSizes) {
      for (let i = 0; i < size; i++) {
        const id = this.files.sample(rng);
        const dir = Math.floor(id / FILES_PER_DIR), cls = Math.floor((id % FILES_PER_DIR) / 9), index = id % 9;
        // The think time after this request: the off-period before the next one, if any.
        const last = requests.length === length - 1;
        const thinkKind = last ? null : i < size - 1 ? "active" : "inactive";
        const thinkS =
          thinkKind === "active" ? round3(sampleWeibull(rng, model.activeOff))
          : thinkKind === "inactive" ? round3(samplePareto(rng, model.inactiveOff))
          : null;
        requests.push({ dir, cls, index, uri: "/" + filePath(dir, cls, index), thinkS, thinkKind });
      }
    }
    return { requests, pageSizes };
  }
}

/** Writes `files` session logs of `sessionsPerFile` sessions each, plus sessions.json (options and stats). */
export function generateSessionLogs(opts: SessionLogOptions): SessionLogResult {
  const model = opts.model ?? PAPER_SESSION_MODEL;
  checkOptions(opts);
  mkdirSync(opts.outDir, { recursive: true });
  const total = new StatsAccumulator();
  const paths: string[] = [];
  for (let f = 0; f < opts.files; f++) {
    const sampler = new SessionSampler(opts.dirs, model, new Rng(opts.seed, f));
    const sessions = Array.from({ length: opts.sessionsPerFile }, () => sampler.session());
    const here = new StatsAccumulator();
    for (const s of sessions) {
      here.add(s);
      total.add(s);
    }
    const path = join(opts.outDir, `sessions-${String(f).padStart(3, "0")}.wsesslog`);
    const header = headerLines(opts, model, f, here.result(model));
    writeFileSync(path, formatSessionLog(header, sessions.map(toLogSession), MAX_SESSIONS_PER_FILE));
    paths.push(path);
  }
  const stats = { files: opts.files, ...total.result(model) };
  const params = { files: opts.files, sessionsPerFile: opts.sessionsPerFile, dirs: opts.dirs, seed: opts.seed };
  writeFileSync(join(opts.outDir, "sessions.json"), JSON.stringify({ params, model, stats }, null, 2) + "\n");
  return { paths, stats };
}

/** The log's form of a generated session: one burst per request. */
function toLogSession(s: GeneratedSession): LogSession {
  return { bursts: s.requests.map((r) => ({ requests: [{ uri: r.uri, method: "GET" }], thinkS: r.thinkS })) };
}

/** Statistics of generated sessions (everything but the file count), added one session at a time so that a large
 *  log need not be held twice. */
class StatsAccumulator {
  private sessions = 0; private requests = 0; private pages = 0; private bytes = 0;
  private maxThinkS = 0; private thinksOver60s = 0;
  private activeSum = 0; private activeN = 0; private inactiveSum = 0; private inactiveN = 0;

  add(s: GeneratedSession): void {
    this.sessions++;
    this.requests += s.requests.length;
    this.pages += s.pageSizes.length;
    for (const r of s.requests) {
      this.bytes += fileSize(r.cls, r.index);
      if (r.thinkS === null) continue;
      this.maxThinkS = Math.max(this.maxThinkS, r.thinkS);
      if (r.thinkS > 60) this.thinksOver60s++;
      if (r.thinkKind === "active") {
        this.activeSum += r.thinkS;
        this.activeN++;
      } else {
        this.inactiveSum += r.thinkS;
        this.inactiveN++;
      }
    }
  }

  result(model: SessionModel): Omit<SessionLogStats, "files"> {
    const { sessions, requests, pages } = this;
    return {
      sessions,
      requests,
      meanRequestsPerSession: requests / sessions,
      meanPagesPerSession: pages / sessions,
      meanRequestsPerPage: requests / pages,
      meanBytesPerRequest: this.bytes / requests,
      meanActiveThinkS: this.activeN ? this.activeSum / this.activeN : 0,
      meanInactiveThinkS: this.inactiveN ? this.inactiveSum / this.inactiveN : 0,
      meanSessionThinkS: (this.activeSum + this.inactiveSum) / sessions,
      maxThinkS: this.maxThinkS,
      thinksOver60s: this.thinksOver60s,
      expected: expectedStats(model),
    };
  }
}

/** What the model predicts, computed exactly (no sampling). */
export function expectedStats(model: SessionModel): SessionLogStats["expected"] {
  const lengths = sessionLengthPmf(model);
  const activeMean = weibullMean(model.activeOff);
  const inactiveMean = paretoMean(model.inactiveOff);
  let meanRequests = 0, meanPages = 0, meanThink = 0;
  for (const [length, p] of lengths) {
    const pageStarts = expectedPageStarts(model, length);
    meanRequests += p * length;
    meanPages += p * (1 + pageStarts);
    meanThink += p * ((length - 1 - pageStarts) * activeMean + pageStarts * inactiveMean);
  }
  return {
    meanRequestsPerSession: meanRequests,
    meanPagesPerSession: meanPages,
    meanBytesPerRequest: meanRequestBytes(model.classMix, model.fileMix),
    meanActiveThinkS: activeMean,
    meanInactiveThinkS: inactiveMean,
    meanSessionThinkS: meanThink,
  };
}

/** P(session has n requests), as [n, p] pairs. */
export function sessionLengthPmf(model: SessionModel): Array<[number, number]> {
  const span = model.maxRequests - model.minRequests + 1;
  const out: Array<[number, number]> = [[1, model.singleRequestFraction]];
  for (let n = model.minRequests; n <= model.maxRequests; n++) {
    out.push([n, (1 - model.singleRequestFraction) / span]);
  }
  return out;
}

/** P(a page has m requests) before it is cut at the session's end: P(1 + ⌊X⌋ = m), X ~ Pareto(k, α). */
export function pageSizePmf(model: SessionModel, m: number): number {
  const { k, alpha } = model.embeddedObjects;
  const atLeast = (j: number) => (j <= k ? 1 : (k / j) ** alpha); // P(X ≥ j)
  return m < 1 ? 0 : atLeast(m - 1) - atLeast(m);
}

/** Expected number of requests 2..n of an n-request session that start a page (each is preceded by an inactive off-period). */
function expectedPageStarts(model: SessionModel, n: number): number {
  // startsAt[j] = P(a page starts at request j); the first request always starts one (renewal recursion).
  const startsAt = [0, 1];
  let sum = 0;
  for (let j = 2; j <= n; j++) {
    let p = 0;
    for (let m = 1; m < j; m++) p += pageSizePmf(model, m) * startsAt[j - m];
    startsAt[j] = p;
    sum += p;
  }
  return sum;
}

function headerLines(opts: SessionLogOptions, m: SessionModel, file: number, s: Omit<SessionLogStats, "files">): string[] {
  const fmt = (x: number) => Number(x.toPrecision(4));
  return [
    "httperf --wsesslog session log: SPECweb99-like static workload (harness/workload/sessions.ts; paper §3.2)",
    `seed=${opts.seed} file=${file} (random stream ${file} of the seed) files=${opts.files} sessions=${opts.sessionsPerFile} dirs=${opts.dirs}`,
    ...(opts.sessionsPerFile > HTTPERF_MAX_SESSIONS
      ? [`more than httperf's ${HTTPERF_MAX_SESSIONS} sessions: for harness/loadgen only (the first ${HTTPERF_MAX_SESSIONS} are the same in a shorter log of this seed)`] : []),
    `directory popularity: Zipf alpha=${m.zipfAlpha} over dirs, rank 1 = dir00000`,
    `class mix (classes 0..3): ${m.classMix.join(" ")}`,
    `file mix within a class (files 0..8, relative): ${m.fileMix.join(" ")}`,
    `session length: 1 request with p=${m.singleRequestFraction}, else uniform ${m.minRequests}..${m.maxRequests} requests; one connection per session`,
    `pages: 1 + floor(Pareto(k=${m.embeddedObjects.k}, alpha=${m.embeddedObjects.alpha})) requests (base + embedded objects), cut at the session's end`,
    "bursts: every request is its own burst; its think= is the off-period before the session's next request:",
    `  within a page, active off-period Weibull(shape=${m.activeOff.shape}, scale=${m.activeOff.scale}), mean ${fmt(s.expected.meanActiveThinkS)} s`,
    `  between pages, inactive off-period Pareto(k=${m.inactiveOff.k}, alpha=${m.inactiveOff.alpha}), mean ${fmt(s.expected.meanInactiveThinkS)} s`,
    "think times are rounded to 1 ms; the last request of a session has none",
    `this file: ${s.sessions} sessions, ${s.requests} requests, ${fmt(s.meanRequestsPerSession)} requests/session ` +
      `(model ${fmt(s.expected.meanRequestsPerSession)}), ${fmt(s.meanSessionThinkS)} s think/session (model ${fmt(s.expected.meanSessionThinkS)})`,
  ];
}

function checkInt(name: string, v: unknown, lo: number, hi: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`${name} must be an integer in ${lo}..${hi}, got ${String(v)}`);
  }
}

function checkOptions(o: SessionLogOptions): void {
  if (typeof o.outDir !== "string" || o.outDir === "") throw new RangeError("outDir must be a directory path");
  checkInt("files", o.files, 1, 10_000);
  checkInt("sessionsPerFile", o.sessionsPerFile, 1, MAX_SESSIONS_PER_FILE);
  checkInt("dirs", o.dirs, 1, 99_999);
  checkInt("seed", o.seed, 0, 0xffffffff);
}

function checkModel(m: SessionModel): void {
  const probability = (name: string, p: number) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be a probability, got ${p}`);
  };
  const positive = (name: string, x: number) => {
    if (!(x > 0 && Number.isFinite(x))) throw new RangeError(`${name} must be positive, got ${x}`);
  };
  if (m.classMix.length !== 4) throw new RangeError(`classMix needs 4 weights, got ${m.classMix.length}`);
  if (m.fileMix.length !== 9) throw new RangeError(`fileMix needs 9 weights, got ${m.fileMix.length}`);
  probability("singleRequestFraction", m.singleRequestFraction);
  checkInt("minRequests", m.minRequests, 1, 10_000);
  checkInt("maxRequests", m.maxRequests, m.minRequests, 10_000);
  if (!(m.zipfAlpha >= 0 && Number.isFinite(m.zipfAlpha))) throw new RangeError(`zipfAlpha must be ≥ 0, got ${m.zipfAlpha}`);
  positive("embeddedObjects.k", m.embeddedObjects.k);
  positive("embeddedObjects.alpha", m.embeddedObjects.alpha);
  positive("activeOff.shape", m.activeOff.shape);
  positive("activeOff.scale", m.activeOff.scale);
  positive("inactiveOff.k", m.inactiveOff.k);
  if (!(m.inactiveOff.alpha > 1)) throw new RangeError(`inactiveOff.alpha must exceed 1 (finite mean), got ${m.inactiveOff.alpha}`);
}
