// Microbenchmark of the latency disk under a queue: whole-file random reads of a file-set tree's small files at several
// queue depths (concurrent readers), each depth on a fresh private daemon at k = 1, the files evicted first.
// Prints a markdown table: IOPS, mean and 95th-percentile service time (the daemon's), mean and 95th-percentile
// response time (the readers'), mean seek distance and the most reads queued.
//
// usage: node --import tsx env/bench/disk-queue.ts --root FILESET [--depths 1,4,16,64]
//          [--reads 1000] [--classes 0,1] [--seed 1] [--deadline-ms MS]
// FILESET is a tree of dirNNNNN/classC_F files (harness/workload/cli.ts fileset --root DIR --dirs N builds one); it is
// only read. --deadline-ms overrides the hosts file's deadline (a tiny one serves every read by its deadline: FIFO).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../lib/config.ts";
import { diskCommand, startDisk, stopDisk, type DiskStats } from "../../lib/latency-disk.ts";
import { run } from "../lib/exec.ts";

// Readers: DEPTH threads take the next path from the list (a file, in order), read the file to its end and record the response time.
// Prints the wall time of the whole run and the response times, in ms, as JSON.
const PY_READERS = `import json, os, sys, threading, time
root, depth = sys.argv[1], int(sys.argv[2])
paths = [l.strip() for l in open(sys.argv[3]) if l.strip()][::-1]
lock, times = threading.Lock(), []
def reader():
    while True:
        with lock:
            if not paths: return
            p = paths.pop()
        t = time.perf_counter()
        fd = os.open(os.path.join(root, p), os.O_RDONLY)
        while os.read(fd, 1 << 20): pass
        os.close(fd)
        t = (time.perf_counter() - t) * 1e3
        with lock: times.append(t)
threads = [threading.Thread(target=reader) for _ in range(depth)]
t0 = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"wall_ms": (time.perf_counter() - t0) * 1e3, "times": times}))`;

const PY_EVICT = `import os, sys
for base, _, names in os.walk(sys.argv[1]):
    for n in names:
        fd = os.open(os.path.join(base, n), os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)`;

const { values } = parseArgs({ options: { root: { type: "string" }, depths: { type: "string", default: "1,4,16,64" },
  reads: { type: "string", default: "1000" }, classes: { type: "string", default: "0,1" }, seed: { type: "string", default: "1" },
  "deadline-ms": { type: "string" } } });
if (!values.root) throw new Error("--root FILESET is required (harness/workload/cli.ts fileset --root DIR --dirs N builds one)");
const root = resolve(values.root);
const depths = values.depths!.split(",").map(Number);
const reads = Number(values.reads);
const classes = values.classes!.split(",").map(Number);
if (depths.some((d) => !Number.isInteger(d) || d < 1) || !Number.isInteger(reads) || reads < 1) throw new Error("--depths and --reads take positive integers");

const model = { ...loadConfig().server.diskModel! };
if (values["deadline-ms"] !== undefined) model.deadlineMs = Number(values["deadline-ms"]);

// The files to read: the chosen classes of every directory, in a seeded random order, each read once per depth.
const files = readdirSync(root).filter((d) => /^dir\d+$/.test(d)).sort()
  .flatMap((d) => readdirSync(join(root, d)).filter((f) => classes.includes(Number(/^class(\d)_/.exec(f)?.[1] ?? -1))).map((f) => `${d}/${f}`));
if (files.length < reads) throw new Error(`${root} has ${files.length} files of classes ${classes}; --reads ${reads} needs as many`);
let state = Number(values.seed) >>> 0;
const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
for (let i = files.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [files[i], files[j]] = [files[j], files[i]];
}
const list = files.slice(0, reads);

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

await run(["make", "-s", "-C", resolve(import.meta.dirname, "../disk")]);
const tmp = mkdtempSync(join(tmpdir(), "wp-disk-queue-"));
writeFileSync(join(tmp, "list"), list.join("\n") + "\n");
console.log(`| queue depth | IOPS | service mean (ms) | service p95 (ms) | response mean (ms) | response p95 (ms) | mean seek (cylinders) | max queue |`);
console.log(`|---|---|---|---|---|---|---|---|`);
try {
  for (const depth of depths) {
    const dir = join(tmp, `qd${depth}`), mnt = join(dir, "mnt");
    mkdirSync(mnt, { recursive: true });
    await startDisk({ dir, realRoot: root, mountPoint: mnt, model, scale: 1 });
    try {
      await run(["/usr/bin/python3", "-c", PY_EVICT, mnt]);
      const before = await diskCommand(dir, "stats");
      const out = JSON.parse(await run(["/usr/bin/python3", "-c", PY_READERS, mnt, String(depth), join(tmp, "list")]));
      const s: DiskStats = await diskCommand(dir, "stats");
      const n = s.reads - before.reads;
      const times: number[] = out.times;
      console.log(`| ${depth} | ${(reads / (out.wall_ms / 1e3)).toFixed(0)} | ${((s.busy_ns - before.busy_ns) / n / 1e6).toFixed(2)} | ` +
        `${(s.service_p95_ns / 1e6).toFixed(1)} | ${mean(times).toFixed(2)} | ${quantile(times, 0.95).toFixed(1)} | ` +
        `${((s.seek_cylinders - before.seek_cylinders) / Math.max(1, s.seeks - before.seeks)).toFixed(0)} | ${s.max_queue} |`);
      if (n !== reads) console.log(`(the daemon served ${n} reads for ${reads} files)`);
    } finally {
      await stopDisk(dir);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`\n${reads} reads a depth of ${files.length} files (classes ${classes}) under ${root}; k = 1; deadline ${model.deadlineMs} ms`);
