// The scale factor k (docs/scale.md), applied here and nowhere else: paper units ↔ testbed units.

/** Largest k this machine can hold: one server process must keep 30,000·k connections under its 20,000-fd limit. */
export const MAX_K = 0.6;

export function checkK(k: number): number {
  if (!(k > 0 && k <= 1)) throw new RangeError(`scale factor k must be in (0, 1], got ${k}`);
  return k;
}

/** Offered request rate on the testbed for a paper rate (req/s). */
export function testbedRate(paperRate: number, k: number): number {
  return paperRate * checkK(k);
}

/** A testbed measurement of a rate (replies/s, Mbit/s, req/s) expressed in paper units. */
export function paperUnits(testbedValue: number, k: number): number {
  return testbedValue / checkK(k);
}

/** Connection caps (and Knot's thread counts, which are its connection caps) scale with k; at least 1. */
export function testbedConns(paperConns: number, k: number): number {
  return Math.max(1, Math.round(paperConns * checkK(k)));
}

/** The server disk's I/O budget scales with k (the disk must keep pace with a k-times slower workload, no faster).
 *  A blkio throttle (ssh testbed) is scaled here; the latency disk (emulated) is given k and divides its service
 *  times by it (env/disk). */
export function testbedDisk(paper: { readIops: number | null; readBps: number | null }, k: number) {
  checkK(k);
  return {
    readIops: paper.readIops === null ? null : Math.max(1, Math.round(paper.readIops * k)),
    readBps: paper.readBps === null ? null : Math.max(1, Math.round(paper.readBps * k)),
  };
}
