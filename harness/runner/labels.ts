// Parses the paper's configuration labels (e.g. knot-b-20K-100w) and maps each to a server binary and its flags.
import { testbedConns } from "./scale.ts";

export type ServerName = "userver" | "knot" | "watpipe" | "nginx";

/** A configuration in paper units, as its label says. */
export interface ServerConfig {
  label: string;
  server: ServerName;
  /** userver: nb | b | shared-nb | shared-b; knot: c | nb | b; watpipe: nb; nginx: sendfile */
  variant: string;
  /** connection cap in paper units (Knot: user-level threads); nginx: the best userver's cap */
  maxConns: number;
  /** processes (userver, nginx workers), kernel workers (knot) or writer threads (watpipe); never scaled */
  procsOrWorkers: number;
  cacheMb?: number;
  events?: "poll" | "select" | "epoll";
}

export const LABEL_GRAMMAR = [
  "userver[-shared|-symped]-(nb|b)-<conns>-<N>p[-poll|-select|-epoll]   e.g. userver-nb-30K-4p",
  "knot-(c|nb|b)-<conns>-<N>w[-<M>MB]  (c needs the cache size)        e.g. knot-c-20K-100w-1000MB",
  "watpipe-<conns>-<N>p  (N writer threads)                             e.g. watpipe-20K-25p",
  "nginx-<N>w  (Debian nginx, sendfile, N workers; the peer)            e.g. nginx-4w",
  "<conns> is a count in paper units, 30K = 30000",
];

/** nginx labels name no connection cap: give it the best userver configurations' cap. */
const NGINX_MAX_CONNS = 30000;

function conns(text: string): number {
  const m = /^(\d+)(K?)$/.exec(text);
  if (!m) throw new Error(`bad connection count "${text}"`);
  return Number(m[1]) * (m[2] ? 1000 : 1);
}

export class LabelError extends Error {}

/** Parses one label; throws a LabelError naming the grammar and, if given, the labels the experiments use. */
export function parseLabel(label: string, known: readonly string[] = []): ServerConfig {
  const fail = (why: string): never => {
    const list = known.length ? `\nlabels used by the experiments:\n  ${known.join("\n  ")}` : "";
    throw new LabelError(`unknown configuration label "${label}" (${why}); a label is one of:\n  ${LABEL_GRAMMAR.join("\n  ")}${list}`);
  };
  let m: RegExpExecArray | null;
  try {
    if ((m = /^userver(?:-(shared|symped))?-(nb|b)-(\d+K?)-(\d+)p(?:-(poll|select|epoll))?$/.exec(label))) {
      const shared = m[1] === "shared";
      return {
        label, server: "userver", variant: shared ? `shared-${m[2]}` : m[2], maxConns: conns(m[3]),
        procsOrWorkers: Number(m[4]), events: (m[5] as ServerConfig["events"]) ?? "poll",
      };
    }
    if ((m = /^knot-(c|nb|b)-(\d+K?)-(\d+)w(?:-(\d+)MB)?$/.exec(label))) {
      if (m[1] === "c" && !m[4]) fail("knot-c needs a cache size, e.g. -1000MB");
      if (m[1] !== "c" && m[4]) fail("only knot-c has an application cache");
      return {
        label, server: "knot", variant: m[1], maxConns: conns(m[2]), procsOrWorkers: Number(m[3]),
        ...(m[4] ? { cacheMb: Number(m[4]) } : {}),
      };
    }
    if ((m = /^watpipe-(\d+K?)-(\d+)p$/.exec(label))) {
      return { label, server: "watpipe", variant: "nb", maxConns: conns(m[1]), procsOrWorkers: Number(m[2]), events: "select" };
    }
    if ((m = /^nginx-(\d+)w$/.exec(label))) {
      return { label, server: "nginx", variant: "sendfile", maxConns: NGINX_MAX_CONNS, procsOrWorkers: Number(m[1]), events: "epoll" };
    }
  } catch (e) {
    if (e instanceof LabelError) throw e;
    fail((e as Error).message);
  }
  return fail("does not match the grammar");
}

export interface LaunchOptions {
  root: string;      // document root
  port: number;      // 0 = ephemeral (our servers report it in their ready line)
  binDir: string;    // servers/bin
  workDir: string;   // where a generated config file (nginx) may be written
  fdLimit: number;   // the server host's hard limit on a process's descriptors (our servers raise theirs to it)
  addr?: string;
}

/** How to start a configuration: argv, how readiness is signalled, and any config files to write first. */
export interface LaunchSpec {
  argv: string[];
  readiness: "ready-line" | "port";
  files: Record<string, string>;
}

/** Connections that share one descriptor table at k: SYMPED's processes (and nginx's workers) each have their own
 *  table, while a single process, shared-SYMPED's clone(CLONE_FILES) processes, Knot and WatPipe have one. */
export function connsPerFdTable(cfg: ServerConfig, k: number): number {
  const cap = testbedConns(cfg.maxConns, k);
  const ownTables = (cfg.server === "userver" && !cfg.variant.startsWith("shared-")) || cfg.server === "nginx";
  return ownTables ? Math.ceil(cap / cfg.procsOrWorkers) : cap;
}

/** Descriptors a server keeps for itself beside connections and cached files (servers/common/cache.h's
 *  CACHE_FD_RESERVE). */
const FD_RESERVE = 64;

/** The size of nginx's cache of open files: what the connections leave in a worker's descriptor table, the rule our
 *  servers size their own cache by (cache_default_capacity). nginx does not shed cached descriptors when the table
 *  fills, as ours do: a cache larger than this turns a full table into 500 replies. */
export function nginxFileCacheMax(fdLimit: number, connsPerWorker: number): number {
  return Math.max(16, fdLimit - connsPerWorker - FD_RESERVE);
}

/** The one place where a configuration meets the scale factor: connection caps ×k, nothing else. */
export function launchSpec(cfg: ServerConfig, k: number, o: LaunchOptions): LaunchSpec {
  const cap = testbedConns(cfg.maxConns, k);
  const common = ["--root", o.root, "--addr", o.addr ?? "0.0.0.0", "--port", String(o.port)];
  const bin = (name: string) => `${o.binDir}/${name}`;
  switch (cfg.server) {
    case "userver": {
      const shared = cfg.variant.startsWith("shared-");
      const mode = shared ? "shared" : cfg.procsOrWorkers === 1 ? "sped" : "symped";
      const sendfile = cfg.variant.replace("shared-", "");
      return {
        argv: [bin("userver"), ...common, "--max-conns", String(cap), "--mode", mode, "--procs", String(cfg.procsOrWorkers),
          "--events", cfg.events ?? "poll", "--sendfile", sendfile],
        readiness: "ready-line", files: {},
      };
    }
    case "knot":
      return {
        argv: [bin("knot"), ...common, "--max-conns", String(cap), "--variant", cfg.variant, "--threads", String(cap),
          "--workers", String(cfg.procsOrWorkers), ...(cfg.cacheMb !== undefined ? ["--cache-mb", String(cfg.cacheMb)] : [])],
        readiness: "ready-line", files: {},
      };
    case "watpipe":
      return {
        argv: [bin("watpipe"), ...common, "--max-conns", String(cap), "--writers", String(cfg.procsOrWorkers)],
        readiness: "ready-line", files: {},
      };
    case "nginx": {
      if (o.port === 0) throw new Error("nginx needs a fixed port");
      const conf = `${o.workDir}/nginx.conf`;
      const perWorker = Math.ceil(cap / cfg.procsOrWorkers);
      // Configured like our servers: sendfile, keep-alive, no logging, epoll, the same connection cap, the host's whole
      // descriptor table, and a cache of open file descriptors sized as theirs (our servers' fd + header cache; without
      // it nginx opens and stats every file per request).
      const text = [
        "daemon off;", "master_process on;", "user root;", `worker_processes ${cfg.procsOrWorkers};`,
        `worker_rlimit_nofile ${o.fdLimit};`, `pid ${o.workDir}/nginx.pid;`, "error_log stderr warn;",
        `events { worker_connections ${perWorker}; use epoll; multi_accept on; }`,
        "http {", "  access_log off;", "  sendfile on;", "  tcp_nopush on;", "  keepalive_timeout 60s;",
        "  keepalive_requests 1000000;", "  default_type application/octet-stream;",
        `  open_file_cache max=${nginxFileCacheMax(o.fdLimit, perWorker)} inactive=60s;`, "  open_file_cache_valid 60s;",
        `  client_body_temp_path ${o.workDir}/tmp;`, `  proxy_temp_path ${o.workDir}/tmp;`, `  fastcgi_temp_path ${o.workDir}/tmp;`,
        `  uwsgi_temp_path ${o.workDir}/tmp;`, `  scgi_temp_path ${o.workDir}/tmp;`,
        `  server { listen ${o.addr ?? "0.0.0.0"}:${o.port} backlog=4096; root ${o.root}; }`, "}", "",
      ].join("\n");
      return { argv: ["/usr/sbin/nginx", "-e", "stderr", "-p", o.workDir, "-c", conf], readiness: "port", files: { [conf]: text } };
    }
  }
}
