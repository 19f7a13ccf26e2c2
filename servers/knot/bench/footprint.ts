// Measures knot's memory footprint with 10,000 and 20,000 user-level threads: right after start, and after every
// thread has served a connection (so every stack and connection slot has been touched). Not a test; prints a table.
// Usage: node --import tsx servers/knot/bench/footprint.ts [--variant b] [--threads 10000,20000] [--workers 100]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildFileSet } from "../../../lib/fileset.ts";
import { Conn, get, serverBin, sleep, startServer } from "../../test/lib.ts";

const { values } = parseArgs({
  options: {
    variant: { type: "string", default: "b" },
    threads: { type: "string", default: "10000,20000" },
    workers: { type: "string", default: "100" },
    batch: { type: "string", default: "500" },
  },
});

/** VmSize, VmRSS and VmHWM of a process, in KiB. */
function memory(pid: number): { vm_kb: number; rss_kb: number; hwm_kb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)![1]);
  return { vm_kb: kb("VmSize"), rss_kb: kb("VmRSS"), hwm_kb: kb("VmHWM") };
}

const root = mkdtempSync(join(tmpdir(), "knot-footprint-"));
try {
  const files = buildFileSet({ root, dirs: 1, seed: 1 }).filter((f) => f.size <= 10_000);
  const rows = [];
  for (const threads of values.threads!.split(",").map(Number)) {
    const srv = await startServer(serverBin("knot"), [
      "--root", root, "--addr", "127.0.0.1", "--port", "0", "--variant", values.variant!,
      "--threads", String(threads), "--max-conns", String(threads), "--workers", values.workers!, "--cache-mb", "10",
    ], { timeoutMs: 60_000 });
    try {
      await sleep(1000); // every thread has run once and waits at the accept gate
      const idle = memory(srv.pid);
      // `threads` connections, `batch` at a time: the accept gate is FIFO, so each thread serves exactly one.
      const batch = Number(values.batch);
      for (let done = 0; done < threads; done += batch) {
        const n = Math.min(batch, threads - done);
        await Promise.all(Array.from({ length: n }, async (_, i) => {
          const c = await Conn.open(srv.port, "127.0.0.1", 30_000);
          await c.send(get("/" + files[(done + i) % files.length].path, { headers: { Connection: "close" } }));
          await c.read({ timeoutMs: 30_000 });
          c.close();
        }));
      }
      await sleep(500);
      const used = memory(srv.pid);
      const stats = await srv.stats();
      rows.push({
        threads, stack_kb: srv.ready.config.stack_kb, accepted: stats.accepted,
        idle_rss_mb: +(idle.rss_kb / 1024).toFixed(1), used_rss_mb: +(used.rss_kb / 1024).toFixed(1),
        used_rss_per_thread_kb: +(used.rss_kb / threads).toFixed(1), vm_mb: +(used.vm_kb / 1024).toFixed(0),
      });
    } finally {
      await srv.stop();
    }
  }
  console.table(rows);
  for (const r of rows) console.log(JSON.stringify(r));
} finally {
  rmSync(root, { recursive: true, force: true });
}
