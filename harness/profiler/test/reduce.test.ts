// Tests the perf → Table 1 reduction on recorded samples (nginx on loopback; userver and Knot with call chains on a
// paravirtualised AMD guest), on a constructed Intel-guest-shaped excerpt, and on user-space samples of a small source tree.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePerfScript, reduce, classify, attribute, indexSources, cleanSymbol, leafSum, type Sample } from "../reduce.ts";
import { UNATTRIBUTED_LIMIT_PCT } from "../categories.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const captured = fixture("perf-script-nginx.txt");
const pvm = parsePerfScript(fixture("perf-script-pvm-g.txt"));
const intel = parsePerfScript(fixture("perf-script-intel-constructed.txt"));
const SERVERS = ["userver", "knot"];
/** The server host's threads: those of the servers' own names (the recording's other processes are foreign). */
const hostOf = (samples: Sample[]) => { const t = new Set(samples.filter((s) => SERVERS.includes(s.comm)).map((s) => s.tid)); return (tid: number) => t.has(tid); };
const pctOf = (rows: { category: string; pct: number }[], c: string) => rows.find((r) => r.category === c)!.pct;

test("parses perf script lines, including task 0 and C++ symbols", () => {
  const s = parsePerfScript(captured);
  assert.is(s.length, captured.trim().split("\n").length);
  const cpp = parsePerfScript("  watpipe 77 [001]  55d0 Stage3::select_writable(int, fd_set*) (/w/servers/bin/watpipe)\n");
  assert.equal(cpp[0], { comm: "watpipe", tid: 77, symbol: "Stage3::select_writable(int, fd_set*)", dso: "/w/servers/bin/watpipe", callers: [] });
  // with call chains: a header line, then the frames innermost first
  const g = parsePerfScript("userver  8262 [001]\n\tffff2 pvm_irq_enable ([kernel.kallsyms])\n\tffff1 tcp_poll ([kernel.kallsyms])\n" +
    "\t     f89f0 __poll (/usr/lib/x86_64-linux-gnu/libc.so.6)\n\nswapper     0 [001]\n\tffff3 pvm_safe_halt_hc ([kernel.kallsyms])\n");
  assert.equal(g.map((x) => [x.comm, x.tid, x.symbol, x.callers.map((f) => f.symbol)]),
    [["userver", 8262, "pvm_irq_enable", ["tcp_poll", "__poll"]], ["swapper", 0, "pvm_safe_halt_hc", []]]);
  assert.is(pvm.length, 116);
  assert.is(cleanSymbol("Stage3::select_writable(int, fd_set*)"), "Stage3::select_writable");
  assert.is(cleanSymbol("getname_flags.part.0"), "getname_flags");
});

test("captured nginx sample: categories sum to 100%, idle excluded, networking dominates the kernel", () => {
  const r = reduce(parsePerfScript(captured), ["nginx"], new Map());
  assert.is(r.idleSamples, 42);     // every sample of task 0: 40 in the halt, 2 in interrupt work on its stack
  assert.is(r.samples, 306 - 42);
  assert.ok(Math.abs(leafSum(r.rows) - 100) < 1e-9, `sum ${leafSum(r.rows)}`);
  const kernel = pctOf(r.rows, "vmlinux_total");
  assert.ok(kernel > 50, `kernel share ${kernel}`);
  assert.ok(pctOf(r.rows, "networking") > pctOf(r.rows, "memory_mgmt"));
  assert.ok(pctOf(r.rows, "application") > 0);     // ngx_* functions of the server binary
  assert.ok(pctOf(r.rows, "libc_total") > 0);       // malloc
  // The mapping should leave little unexplained: at most 10% of kernel samples in "others".
  assert.ok(pctOf(r.rows, "others") < 10, `others ${pctOf(r.rows, "others")}: ${JSON.stringify(r.unmatchedKernel.slice(0, 8))}`);
});

test("recorded on the PVM guest: the idle task's halts are idle, whatever the halt is called", () => {
  const r = reduce(pvm, SERVERS, new Map(), hostOf(pvm));
  const halts = pvm.filter((s) => s.symbol === "pvm_safe_halt_hc");
  assert.ok(halts.length >= 20 && halts.every((s) => s.tid === 0), `${halts.length} halts`);
  assert.is(r.idleSamples, pvm.filter((s) => s.tid === 0).length);
  assert.is(r.samples + r.idleSamples + r.foreignSamples, pvm.length);
  assert.ok(Math.abs(leafSum(r.rows) - 100) < 1e-9);
});

test("recorded on the PVM guest: samples on interrupt-enable points go to their callers; veth is the NIC", () => {
  const cat = (s: Sample) => attribute(s, SERVERS, new Map())?.category;
  const sinkIn = (caller: string) => pvm.find((s) => s.symbol === "pvm_irq_enable" && s.callers.some((f) => f.symbol === caller))!;
  assert.is(cat(sinkIn("handle_softirqs")), "kernel_arch");            // held back through the interrupt's entry
  assert.is(cat(sinkIn("finish_task_switch.isra.0")), "sched_overhead");
  assert.is(sinkIn("finish_task_switch.isra.0").callers[0].symbol, "__raw_callee_save_pvm_irq_enable"); // a thunk, skipped
  const veth = pvm.filter((s) => /^veth_/.test(s.symbol));
  assert.ok(veth.length >= 3);
  assert.ok(veth.every((s) => attribute(s, SERVERS, new Map())?.section === "nic"));
  const r = reduce(pvm, SERVERS, new Map(), hostOf(pvm));
  assert.ok(r.sinkSamples > r.samples / 4, `${r.sinkSamples} of ${r.samples} on sinks`); // why the call chains are needed
  assert.ok(r.reliable && r.unattributedPct <= UNATTRIBUTED_LIMIT_PCT, `unattributed ${r.unattributedPct}%: ${JSON.stringify(r.unmatchedKernel)}`);
  assert.ok(pctOf(r.rows, "others") <= 10, `others ${pctOf(r.rows, "others")}`);
  assert.ok(pctOf(r.rows, "nic_driver_total") > 0);
});

test("a profile without call chains on the PVM guest is flagged unreliable, naming the symbols it could not place", () => {
  const flat = pvm.map((s) => ({ ...s, callers: [] }));
  const r = reduce(flat, SERVERS, new Map(), hostOf(flat));
  assert.not.ok(r.reliable);
  assert.ok(r.unattributedPct > UNATTRIBUTED_LIMIT_PCT, `${r.unattributedPct}`);
  assert.is(r.unmatchedKernel[0].symbol, "pvm_irq_enable");
  assert.is(pctOf(r.rows, "others"), r.unattributedPct);
  // no samples at all is no profile either
  assert.not.ok(reduce([], SERVERS, new Map()).reliable);
});

test("constructed Intel-guest excerpt: lock-release sinks charged to the lock's user; one unknown symbol of 21 is within 5%", () => {
  const cat = (caller: string) => attribute(intel.find((s) => s.callers[0]?.symbol === caller)!, ["knot"], new Map())?.category;
  assert.is(cat("try_to_wake_up"), "sched_overhead");
  assert.is(cat("skb_queue_tail"), "networking");
  assert.is(cat("fuse_request_end"), "file_system");
  assert.is(cat("ep_poll_callback"), "poll_overhead");
  assert.is(cat("pv_native_irq_enable"), "poll_overhead");          // a sink under a sink: the caller past both
  const r = reduce(intel, ["knot"], new Map());
  assert.is(r.idleSamples, 3);                                          // the halt, and interrupt work on the idle task
  assert.is(r.samples, 21);
  assert.equal(r.unmatchedKernel, [{ symbol: "request_wait_answer", samples: 1 }]);
  assert.ok(Math.abs(r.unattributedPct - 100 / 21) < 1e-9);
  assert.ok(r.reliable);
  assert.is(pctOf(r.rows, "nic_driver_total"), (100 * 2) / 21);        // veth_xmit and veth_poll
});

test("user space is split by the source folder of the function", () => {
  const repo = mkdtempSync(join(tmpdir(), "prof-"));
  try {
    const put = (p: string, text: string) => { mkdirSync(join(repo, p, ".."), { recursive: true }); writeFileSync(join(repo, p), text); };
    put("servers/knot/runtime/sched.c", "static void\nrt_switch(struct rt_thread *t)\n{\n}\nint rt_yield(void) {\n  return 0;\n}\nint rt_decl(void);\n");
    put("servers/knot/http_conn.c", "int serve_conn(int fd)\n{\n  if (fd) return 1;\n}\n");
    put("servers/common/ev_poll.c", "int ev_poll_wait(struct ev *e, int ms)\n{\n}\n");
    put("servers/watpipe/fdset.cc", "void FdSet::merge(const FdSet &o)\n{\n}\n");
    const index = indexSources(repo, "servers");
    assert.equal(index.get("rt_switch"), ["servers/knot/runtime/sched.c"]);
    assert.not.ok(index.has("rt_decl"));          // a declaration is not a definition
    assert.not.ok(index.has("if"));
    const c = (sym: string, dso: string) => classify({ symbol: sym, dso }, ["knot", "userver", "watpipe"], index)!;
    assert.is(c("rt_switch", "/r/servers/bin/knot").category, "thread_overhead");
    assert.is(c("serve_conn", "/r/servers/bin/knot").category, "application");
    assert.is(c("ev_poll_wait", "/r/servers/bin/userver").category, "event_overhead");
    assert.is(c("FdSet::merge(FdSet const&)", "/r/servers/bin/watpipe").category, "event_overhead");
    assert.is(c("watpipe::Pipeline::select_stage()", "/r/servers/bin/watpipe").category, "event_overhead");
    assert.is(c("http_parser_execute", "/usr/lib/x86_64-linux-gnu/libhttp_parser.so.2.9.4").category, "application");
    assert.is(c("st_poll", "/usr/lib/x86_64-linux-gnu/libst.so.1").category, "thread_overhead");
    assert.is(c("pthread_mutex_lock", "/usr/lib/x86_64-linux-gnu/libc.so.6").category, "thread_overhead");
    assert.is(c("__memmove_evex_unaligned_erms", "/usr/lib/x86_64-linux-gnu/libc.so.6").category, "libc_total");
    assert.is(c("veth_xmit", "[kernel.kallsyms]").section, "nic");
    assert.is(c("do_sys_poll", "[kernel.kallsyms]").category, "poll_overhead");
    assert.is(c("tcp_poll", "[kernel.kallsyms]").category, "poll_overhead");
    assert.is(c("_copy_to_user", "[kernel.kallsyms]").category, "data_copying");
    assert.is(c("__schedule", "[kernel.kallsyms]").category, "sched_overhead");
    assert.is(c("do_sendfile", "[kernel.kallsyms]").category, "file_system");
    assert.is(c("some_new_kernel_fn", "[kernel.kallsyms]"), null);
    assert.is(c("__list_del_entry_valid_or_report", "[kernel.kallsyms]").category, "others");  // lib/: others by rule
    assert.is(c("perf_event_task", "/usr/bin/perf").section, "other");
    // another process on the server's core (a shared machine) is left out of the 100%
    const mixed = reduce(parsePerfScript("knot 7 [001] 1 rt_switch (/r/servers/bin/knot)\ncc1 99 [001] 2 tcp_v4_rcv ([kernel.kallsyms])\n"),
      ["knot"], index, (tid) => tid === 7);
    assert.is(mixed.foreignSamples, 1);
    assert.is(pctOf(mixed.rows, "thread_overhead"), 100);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test.run();
