// The latency disk's client (the FUSE daemon built in env/disk): starts it detached, sends it commands, stops it and
// unmounts. Here rather than in env/, because the servers' tests use it too (a disk that holds reads until told).
// A daemon's state lives in one folder: state.json (pid, roots), control.sock, log.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { lockedBytes } from "./procfs.ts";

export const DISK_BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../env/disk/latency-disk");

/** The latency disk's model (emulated testbed): what one read costs on the paper's disk. */
export interface DiskModel {
  seekMs: number;          // average seek (over uniformly random pairs of cylinders): the seek curve's mean
  trackToTrackMs: number;  // seek to the next cylinder: the curve's value at distance 1
  fullStrokeMs: number;    // seek across the whole disk: the curve's value at `cylinders`
  cylinders: number;       // the distance unit of the curve; byte addresses map linearly onto it
  rotationMs: number;      // average rotational delay (half a turn), paid with every seek
  mbPerS: number;          // media transfer rate, 10^6 bytes/s
  capacityGB: number;      // the disk's size, 10^9 bytes: the modelled layout spreads the file set over it
  spread: number;          // fraction of the disk (from its start) the top-level directories are spread over, (0, 1]
  deadlineMs: number;      // a read waiting longer than this is served next, out of elevator order
}

/** The daemon's counters (cumulative since it started) and settings, as it reports them. */
export interface DiskStats {
  requests: number;         // every request from the kernel (lookups, reads, …; opens and closes ask nothing)
  reads: number;            // reads answered
  bytes: number;            // bytes returned by them
  seeks: number;            // reads that did not start where the head was (paid seek + rotation)
  busy_ns: number;          // sum of modelled service times: busy_ns / elapsed = utilisation
  queue_delay_ns: number;   // sum over reads of the time waited before service
  max_queue: number;        // most reads waiting or in service at once
  queued: number;           // reads waiting or in service now
  positioning_ns: number;   // the part of busy_ns spent seeking and waiting for the sector
  seek_cylinders: number;   // cylinders moved over all seeks: / seeks = mean seek distance
  expired: number;          // reads served out of elevator order because they had waited past the deadline
  service_p50_ns: number;   // median and 95th percentile of the service times (delay on), to 0.1 ms (the bin's top)
  service_p95_ns: number;
  delay: boolean;           // false: reads are answered without the modelled delay
  scale: number;            // service times and the deadline are divided by it
  held: boolean;            // reads are queued until "release"
  seek_ms: number;          // the model's settings, as given
  track_ms: number;
  full_stroke_ms: number;
  cylinders: number;
  rotation_ms: number;
  mb_per_s: number;
  capacity_gb: number;
  spread: number;
  deadline_ms: number;
  units: number;            // placement units of the layout: the real root and its top-level directories
}

export interface DiskState { pid: number; realRoot: string; mountPoint: string }

export interface DiskOptions {
  dir: string;               // the daemon's state folder (exists)
  realRoot: string;          // the directory it exposes
  mountPoint: string;        // an existing empty directory
  model: DiskModel;
  scale: number | null;      // null: start with the delay off
  hold?: boolean;            // start with every read held until "release"
  cpus?: string | null;      // pin the daemon to these cpus (taskset list)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function readDiskState(dir: string): DiskState | null {
  const f = join(dir, "state.json");
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as DiskState) : null;
}

/** Whether `pid` is a running latency disk (a recycled pid or a zombie has another, or an empty, command line). */
export function diskRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0].endsWith("latency-disk");
  } catch {
    return false;
  }
}

/** Whether a path is a mount point in this process's mount namespace. */
export function isMounted(path: string): boolean {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync("/proc/self/mounts", "utf8").split("\n").some((l) => unescape(l.split(" ")[1] ?? "") === path);
}

/** How long a starting daemon may go without locking more of the real files (or, once they are locked, without
 * answering) before its start counts as stalled. Locking reads whatever part of the file set is not in memory from the
 * machine's own disk: 15.2 s for the whole 3.48 GB set evicted (env/disk/README.md). The limit is on a lack of
 * progress, not on the total, so a slower disk only takes longer. */
const START_STALL_MS = 60_000;
const START_REPORT_MS = 10_000;

/** Bytes of the regular files under a directory (what the daemon locks). */
function treeBytes(dir: string): number {
  let sum = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) sum += statSync(join(e.parentPath, e.name)).size;
  return sum;
}

/**
 * Starts the daemon detached (it outlives this process until stopDisk) and waits until it answers: as long as it
 * keeps locking the real files in memory (reported every 10 s to `log`), and up to a minute after it stops making
 * progress.
 */
export async function startDisk(o: DiskOptions, log: (m: string) => void = () => {}): Promise<DiskState> {
  if (!existsSync(DISK_BIN)) throw new Error(`${DISK_BIN} is missing: make -C env/disk`);
  const m = o.model;
  const argv = [...(o.cpus ? ["taskset", "-c", o.cpus] : []), DISK_BIN,
    "--seek-ms", String(m.seekMs), "--track-ms", String(m.trackToTrackMs), "--full-stroke-ms", String(m.fullStrokeMs),
    "--cylinders", String(m.cylinders), "--rotation-ms", String(m.rotationMs), "--mb-per-s", String(m.mbPerS),
    "--capacity-gb", String(m.capacityGB), "--spread", String(m.spread), "--deadline-ms", String(m.deadlineMs),
    ...(o.scale === null ? ["--off"] : ["--scale", String(o.scale)]), ...(o.hold ? ["--hold"] : []),
    "--control", join(o.dir, "control.sock"), o.realRoot, o.mountPoint];
  const out = openSync(join(o.dir, "log"), "a");
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", out, out] });
  closeSync(out);
  child.unref();
  const pid = child.pid as number;
  const state: DiskState = { pid, realRoot: o.realRoot, mountPoint: o.mountPoint };
  writeFileSync(join(o.dir, "state.json"), JSON.stringify(state) + "\n");
  const start = Date.now();
  let locked = 0, progressAt = start, reportAt = start, total: number | null = null;
  for (;;) {
    try {
      await diskCommand(o.dir, "stats");
      return state;
    } catch (e) {
      const now = Date.now(), l = lockedBytes(pid);
      if (l !== null && l > locked) [locked, progressAt] = [l, now];
      if (child.exitCode !== null || now - progressAt > START_STALL_MS) {
        const stalled = child.exitCode === null ? ` (nothing more locked or answered for ${START_STALL_MS / 1000} s, ` +
          `${(locked / 1e9).toFixed(2)} GB of the real files locked)` : "";
        const why = readFileSync(join(o.dir, "log"), "utf8").trim() || (e as Error).message;
        await stopDisk(o.dir);
        throw new Error(`latency disk on ${o.mountPoint} did not start: ${why}${stalled}`);
      }
      if (now - reportAt >= START_REPORT_MS) {
        total ??= treeBytes(o.realRoot);
        log(`latency disk: locking the real files in memory, ${(locked / 1e9).toFixed(2)} of ${(total / 1e9).toFixed(2)} GB after ${Math.round((now - start) / 1000)} s`);
        reportAt = now;
      }
      await sleep(20);
    }
  }
}

/** Sends one command ("stats", "scale K", "off", "hold", "release") and returns the counters it answers with. */
export function diskCommand(dir: string, command: string): Promise<DiskStats> {
  return new Promise((resolvePromise, reject) => {
    let text = "";
    const c: Socket = createConnection(join(dir, "control.sock"), () => c.end(command + "\n"));
    c.setTimeout(5000, () => c.destroy(new Error(`latency disk ${dir}: no answer to "${command}" within 5 s`)));
    c.on("data", (d: Buffer) => (text += d));
    c.on("error", reject);
    c.on("close", () => {
      try {
        const j = JSON.parse(text);
        if (j.error) reject(new Error(`latency disk ${dir}: "${command}": ${j.error}`));
        else resolvePromise(j as DiskStats);
      } catch {
        reject(new Error(`latency disk ${dir}: no answer to "${command}"`));
      }
    });
  });
}

/**
 * Stops the daemon of a state folder (it answers every queued read, then unmounts), unmounts lazily if the mount
 * is still there (a killed daemon, or a busy mount), and removes the folder's files. False when there was none.
 */
export async function stopDisk(dir: string): Promise<boolean> {
  const st = readDiskState(dir);
  if (!st) return false;
  for (const [sig, waitMs] of [["SIGTERM", 5000], ["SIGKILL", 2000]] as const) {
    if (!diskRunning(st.pid)) break;
    process.kill(st.pid, sig);
    for (let t = 0; t < waitMs / 20 && diskRunning(st.pid); t++) await sleep(20);
  }
  if (diskRunning(st.pid)) throw new Error(`latency disk ${st.pid} (${dir}) did not stop`);
  if (isMounted(st.mountPoint)) execFileSync("umount", ["-l", st.mountPoint], { stdio: ["ignore", "ignore", "pipe"] });
  for (const f of ["state.json", "control.sock", "log"]) rmSync(join(dir, f), { force: true });
  return true;
}
