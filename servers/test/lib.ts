// Test helpers for the servers: start a server binary and read its JSON lines, a raw-socket HTTP client, fd counting.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { connect, type Socket } from "node:net";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { processTree } from "../../lib/procfs.ts";
export { processTree };

export const SERVERS_DIR = new URL("..", import.meta.url).pathname;

/** Path of a built server binary: variant "" (release), "asan" or "tsan". */
export function serverBin(name: string, variant: "" | "asan" | "tsan" = ""): string {
  return join(SERVERS_DIR, "bin", variant, name);
}

/** Builds a server's release and sanitizer binaries (make is quick when they are up to date). */
export function buildServer(name: string): void {
  execFileSync("make", ["-s", "-C", join(SERVERS_DIR, name), "all", "test-builds"], { stdio: "inherit" });
}

export type Json = Record<string, any>;

export interface RunningServer {
  proc: ChildProcess;
  pid: number;
  port: number;
  ready: Json;
  /** Every JSON line printed on stdout so far. */
  lines: Json[];
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** Sends SIGUSR1 and resolves with the stats line it prints. */
  stats(timeoutMs?: number): Promise<Json>;
  /** SIGTERM, then waits for exit (SIGKILL after timeoutMs); resolves with exit status and the final stats line. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: string | null; stats: Json | undefined }>;
}

/** Starts `bin args`, resolves once it printed its ready line (rejects if it exits or stays silent). */
export function startServer(bin: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunningServer> {
  const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...opts.env } });
  const lines: Json[] = [];
  let err = "";
  let out = "";
  const lineWaiters: Array<(j: Json) => void> = [];
  proc.stderr!.on("data", (d) => (err += d));
  proc.stdout!.on("data", (d) => {
    out += d;
    let nl;
    while ((nl = out.indexOf("\n")) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      let j: Json;
      try {
        j = JSON.parse(line);
      } catch {
        err += `[non-JSON stdout] ${line}\n`;
        continue;
      }
      lines.push(j);
      for (const w of lineWaiters.splice(0)) w(j);
    }
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((res) => {
    proc.on("exit", (code, signal) => res({ code, signal }));
    proc.on("error", (e) => { // e.g. the binary is missing: there will be no exit event
      err += `spawn ${bin}: ${e.message}\n`;
      res({ code: null, signal: null });
    });
  });
  const nextLine = (event: string, timeoutMs: number) =>
    new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${event}" line within ${timeoutMs} ms; stderr:\n${err}`)), timeoutMs);
      const wait = (j: Json) => {
        if (j.event === event) {
          clearTimeout(timer);
          resolve(j);
        } else lineWaiters.push(wait);
      };
      lineWaiters.push(wait);
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`server exited (code ${code}, signal ${signal}) before "${event}"; stderr:\n${err}`));
      });
    });

  return nextLine("ready", opts.timeoutMs ?? 10_000).then((ready) => ({
    proc,
    pid: proc.pid!,
    port: ready.port,
    ready,
    lines,
    stderr: () => err,
    stats: (timeoutMs = 5000) => {
      const p = nextLine("stats", timeoutMs);
      proc.kill("SIGUSR1");
      return p;
    },
    stop: async (timeoutMs = 10_000) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      const { code, signal } = await exited;
      clearTimeout(timer);
      const stats = [...lines].reverse().find((j) => j.event === "stats");
      return { code, signal, stats };
    },
  }));
}

export interface FdCounts { socket: number; file: number; pipe: number; other: number; total: number }

/** Open descriptors of a process and its descendants, by kind (a shared fd table is counted once per process). */
export function countFds(pid: number): FdCounts {
  const c: FdCounts = { socket: 0, file: 0, pipe: 0, other: 0, total: 0 };
  for (const p of processTree(pid)) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${p}/fd/${fd}`);
      } catch {
        continue;
      }
      c.total++;
      if (target.startsWith("socket:")) c.socket++;
      else if (target.startsWith("pipe:")) c.pipe++;
      else if (target.startsWith("/")) c.file++;
      else c.other++;
    }
  }
  return c;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 50 ms until it returns true or timeoutMs passes; returns its last value. */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

export interface Response { status: number; reason: string; headers: Record<string, string>; body: Buffer; raw: string }

/** A raw TCP connection that reads HTTP responses one by one from its byte stream. */
export class Conn {
  private buf: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;
  error: Error | undefined;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", (e) => {
      this.error = e;
      this.ended = true;
      this.wake();
    });
  }

  static open(port: number, host = "127.0.0.1", timeoutMs = 5000): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(new Conn(s));
      });
      s.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  private async waitData(deadline: number): Promise<void> {
    if (this.ended) throw new Error(`connection closed by peer${this.error ? ": " + this.error.message : ""}`);
    const left = deadline - Date.now();
    if (left <= 0) throw new Error("timed out waiting for the server");
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, left);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  send(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (e) => (e ? reject(e) : resolve())));
  }

  /** Reads one response; `head` = it answers a HEAD request (no body follows the header). */
  async read(opts: { head?: boolean; timeoutMs?: number } = {}): Promise<Response> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    let end: number;
    while ((end = this.buf.indexOf("\r\n\r\n")) < 0) await this.waitData(deadline);
    const raw = this.buf.subarray(0, end).toString("latin1");
    const [statusLine, ...headerLines] = raw.split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3}) (.*)$/.exec(statusLine);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const l of headerLines) {
      const i = l.indexOf(":");
      if (i <= 0) throw new Error(`bad header line: ${JSON.stringify(l)}`);
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const length = opts.head ? 0 : Number(headers["content-length"] ?? NaN);
    if (!Number.isInteger(length)) throw new Error(`no Content-Length in ${JSON.stringify(raw)}`);
    while (this.buf.length < end + 4 + length) await this.waitData(deadline);
    const body = Buffer.from(this.buf.subarray(end + 4, end + 4 + length));
    this.buf = this.buf.subarray(end + 4 + length);
    return { status: Number(m[1]), reason: m[2], headers, body, raw };
  }

  /** Resolves true once the server has closed the connection (with no unread bytes left), false on timeout. */
  async closedByPeer(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      try {
        await this.waitData(deadline);
      } catch {
        break;
      }
    }
    return this.ended && this.buf.length === 0;
  }

  /** Bytes received but not read as a response. */
  pending(): number {
    return this.buf.length;
  }

  close() {
    this.socket.destroy();
  }

  /** Closes with a TCP reset (SO_LINGER 0), like a client that crashed. */
  reset() {
    this.socket.resetAndDestroy();
  }
}

/** One request on a fresh connection; resolves with the response. */
export async function fetchOnce(port: number, request: string, opts: { head?: boolean } = {}): Promise<Response> {
  const c = await Conn.open(port);
  try {
    await c.send(request);
    return await c.read(opts);
  } finally {
    c.close();
  }
}

/** A minimal request line + headers. */
export function get(path: string, opts: { method?: string; version?: string; headers?: Record<string, string> } = {}): string {
  const headers = { Host: "localhost", ...opts.headers };
  return (
    `${opts.method ?? "GET"} ${path} HTTP/${opts.version ?? "1.1"}\r\n` +
    Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") +
    "\r\n"
  );
}
