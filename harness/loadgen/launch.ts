// Runs the load generator from TypeScript (build, run with --json/--csv, read its rows) and a reference nginx: for
// its tests and the benchmarks in harness/bench.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const LOADGEN_DIR = dirname(fileURLToPath(import.meta.url));
export const LOADGEN = join(LOADGEN_DIR, "loadgen");
export const LOADGEN_ASAN = join(LOADGEN_DIR, "loadgen-asan");

/** Builds the optimised and the sanitizer binaries and the C unit tests. */
export function build(): void {
  execFileSync("make", ["-s", "-C", LOADGEN_DIR, "loadgen", "loadgen-asan", "unit-tests"], { stdio: "inherit" });
}

export function tempDir(prefix = "loadgen-test-"): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface CsvRow {
  start_ms: number | null;
  session: number;
  uri: string;
  size_class: string;
  status: number;
  bytes: number;
  connect_ms: number;
  response_ms: number | null;
  transfer_ms: number | null;
  outcome: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedS: number;
  json: any;         // the --json summary (undefined when the run wrote none)
  csv: CsvRow[];     // the --csv rows
}

const num = (s: string) => (s === "" ? null : Number(s));

/** Parses the --csv file (the tests' URIs contain no commas or quotes). */
export function readCsv(path: string): CsvRow[] {
  const [header, ...lines] = readFileSync(path, "utf8").trim().split("\n");
  if (header !== "start_ms,session,uri,size_class,status,bytes,connect_ms,response_ms,transfer_ms,outcome")
    throw new Error(`unexpected CSV header: ${header}`);
  return lines.map((l) => {
    const f = l.split(",");
    return {
      start_ms: num(f[0]), session: Number(f[1]), uri: f[2], size_class: f[3], status: Number(f[4]),
      bytes: Number(f[5]), connect_ms: Number(f[6]), response_ms: num(f[7]), transfer_ms: num(f[8]), outcome: f[9],
    };
  });
}

/** Runs the load generator (the ASan build unless told otherwise) with --json and --csv files in `dir`. */
export function runLoadgen(
  args: string[],
  opts: { dir: string; asan?: boolean; tag?: string; bin?: string[]; sigtermAfterMs?: number },
): Promise<RunResult> {
  const tag = opts.tag ?? "run";
  const json = join(opts.dir, `${tag}.json`), csv = join(opts.dir, `${tag}.csv`);
  const bin = opts.asan === false ? LOADGEN : LOADGEN_ASAN;
  const argv = [...(opts.bin ?? []), bin, ...args, "--json", json, "--csv", csv];
  const started = process.hrtime.bigint();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS: "print_stacktrace=1" },
    });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    const timer = opts.sigtermAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGTERM"), opts.sigtermAfterMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
      let parsed: any, rows: CsvRow[] = [];
      try {
        parsed = JSON.parse(readFileSync(json, "utf8"));
        rows = readCsv(csv);
      } catch {
        /* no summary: the caller checks code and stderr */
      }
      resolvePromise({ code, signal, stdout, stderr, elapsedS, json: parsed, csv: rows });
    });
  });
}

/** A port that was free a moment ago (nginx cannot listen on port 0 and tell us which port it got). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** nginx from Debian: one process (master_process off), sendfile on, config and logs in `dir`. */
export interface Nginx { port: number; proc: ChildProcess; stop: () => Promise<void> }

export async function startNginx(opts: { dir: string; root: string; extra?: string; cpu?: number }): Promise<Nginx> {
  const port = await freePort();
  const conf = join(opts.dir, "nginx.conf");
  const tmp = (n: string) => join(opts.dir, n);
  writeFileSync(
    conf,
    `# nginx for the load generator's tests: one process, sendfile, loopback only.
worker_processes 1;
daemon off;
master_process off;
pid ${tmp("nginx.pid")};
error_log ${tmp("error.log")} warn;
worker_rlimit_nofile 20000;
events { worker_connections 16000; use epoll; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path ${tmp("client_body")};
  proxy_temp_path ${tmp("proxy")};
  fastcgi_temp_path ${tmp("fastcgi")};
  uwsgi_temp_path ${tmp("uwsgi")};
  scgi_temp_path ${tmp("scgi")};
  server {
    listen 127.0.0.1:${port} backlog=4096;
    root ${opts.root};
    ${opts.extra ?? ""}
  }
}
`,
  );
  const argv = ["nginx", "-c", conf, "-p", opts.dir, "-e", tmp("error.log")];
  const proc = spawn(opts.cpu === undefined ? argv[0] : "taskset", opts.cpu === undefined ? argv.slice(1) : ["-c", String(opts.cpu), ...argv], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += d));
  const deadline = Date.now() + 5000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    const ok = await new Promise<boolean>((r) => {
      const s: net.Socket = net.connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
      s.on("error", () => r(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`nginx did not start listening on ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    proc,
    stop: () =>
      new Promise<void>((r) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return r();
        proc.once("exit", () => r());
        proc.kill("SIGTERM");
      }),
  };
}
