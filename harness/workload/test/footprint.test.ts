// Tests the workload's footprint: the distinct files and bytes that N requests of the generated sessions reach,
// against the distribution's exact expectation, with a tolerance that the generators the runner used to have fail;
// and the elided prefix that prepares a page cache.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Rng } from "../random.ts";
import { PAPER_SESSION_MODEL, SessionSampler, fileIdPath, type SessionModel } from "../sessions.ts";
import { ACCESSES_KEPT, characteristicRequests, expectedFootprint, filePopularity, replayPrefix } from "../footprint.ts";
import { pathSize } from "../../../lib/specweb.ts";

const DIRS = 680;
const N = 400_000;
const SIGMAS = 5;

/** Distinct files and bytes among the first n requests of sessions drawn from `sampler`, the sessions replayed
 *  round-robin from the first `pool` of them (as a load generator replays a finite log). */
function footprintOf(model: SessionModel, n: number, pool = Infinity, seed = 7): { files: number; bytes: number } {
  const sampler = new SessionSampler(DIRS, model, new Rng(seed, 0));
  const sessions: string[][] = [];
  const seen = new Set<string>();
  let bytes = 0;
  for (let req = 0, s = 0; req < n; s++) {
    const uris = s < pool ? sessions[sessions.push(sampler.session().requests.map((r) => r.uri)) - 1] : sessions[s % pool];
    for (const u of uris) {
      if (req++ >= n) break;
      if (seen.has(u)) continue;
      seen.add(u);
      bytes += pathSize(u)!;
    }
  }
  return { files: seen.size, bytes };
}

test("file probabilities sum to 1 and put dir00000/class1_4 first", () => {
  const { p } = filePopularity(DIRS);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  const top = p.indexOf(Math.max(...p));
  assert.is(fileIdPath(top), "dir00000/class1_4");
});

test("N requests of fresh sessions reach the distribution's expected distinct files and bytes", () => {
  const want = expectedFootprint(DIRS, N);
  const got = footprintOf(PAPER_SESSION_MODEL, N);
  assert.ok(Math.abs(got.files - want.files) < SIGMAS * want.filesSd,
    `${got.files} distinct files, expected ${want.files.toFixed(0)} ± ${(SIGMAS * want.filesSd).toFixed(0)}`);
  assert.ok(Math.abs(got.bytes - want.bytes) < SIGMAS * want.bytesSd,
    `${got.bytes} distinct bytes, expected ${want.bytes.toFixed(0)} ± ${(SIGMAS * want.bytesSd).toFixed(0)}`);
});

test("the tolerance fails a finite log replayed round-robin, and a wrong directory popularity", () => {
  const want = expectedFootprint(DIRS, N);
  const far = (x: number) => Math.abs(x - want.files) > SIGMAS * want.filesSd;
  const loop = footprintOf(PAPER_SESSION_MODEL, N, 4_000); // a 4,000-session log, replayed
  assert.ok(far(loop.files), `a replayed 4,000-session log reaches ${loop.files} files, expected ${want.files.toFixed(0)}`);
  const steeper = footprintOf({ ...PAPER_SESSION_MODEL, zipfAlpha: 1.05 }, N);
  assert.ok(far(steeper.files), `Zipf 1.05 reaches ${steeper.files} files, expected ${want.files.toFixed(0)}`);
});

test("the expected footprint grows with n towards the whole set", () => {
  const a = expectedFootprint(DIRS, 1e4), b = expectedFootprint(DIRS, 1e6), c = expectedFootprint(DIRS, 1e12);
  assert.ok(a.files < b.files && b.files < c.files);
  assert.ok(Math.abs(c.files - DIRS * 36) < 1e-6);
});

test("the characteristic time fills the cache (Che) and grows with its size", () => {
  const { p, size } = filePopularity(DIRS);
  const gib = 2 ** 30;
  const t = characteristicRequests(DIRS, 1.8 * gib);
  const held = p.reduce((a, pi, i) => a + size[i] * (1 - Math.exp(-pi * t)), 0);
  assert.ok(Math.abs(held / (1.8 * gib) - 1) < 0.01, `${held}`);
  assert.ok(characteristicRequests(DIRS, 1 * gib) < t);
  assert.is(characteristicRequests(DIRS, 4 * gib), Infinity, "the 3.24 GiB set fits in 4 GiB");
});

test("a prefix keeps each file's last two accesses, in stream order", () => {
  const dirs = 3, n = 5_000;
  const kept = replayPrefix(dirs, n, new Rng(11, 3));
  // the same stream drawn again with nothing elided (more accesses kept than it is long), then elided by brute force
  const full = Array.from(replayPrefix(dirs, n, new Rng(11, 3), PAPER_SESSION_MODEL, n));
  const want = full.filter((id, i) => full.slice(i + 1).filter((x) => x === id).length < ACCESSES_KEPT);
  assert.equal(Array.from(kept), want);
  assert.ok(kept.length <= ACCESSES_KEPT * dirs * 36);
});

test.run();
