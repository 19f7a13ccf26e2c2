// Tests the perf → Table 1 reduction on a captured sample (nginx on loopback) and on user-space samples of a small source tree.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePerfScript, reduce, classify, indexSources, cleanSymbol, leafSum } from "../reduce.ts";

const captured = readFileSync(new URL("./fixtures/perf-script-nginx.txt", import.meta.url), "utf8");
const pctOf = (rows: { category: string; pct: number }[], c: string) => rows.find((r) => r.category === c)!.pct;

test("parses perf script lines, including task 0 and C++ symbols", () => {
  const s = parsePerfScript(captured);
  assert.is(s.length, captured.trim().split("\n").length);
  const cpp = parsePerfScript("  watpipe 77 [001]  55d0 Stage3::select_writable(int, fd_set*) (/w/servers/bin/watpipe)\n");
  assert.equal(cpp[0], { comm: "watpipe", tid: 77, symbol: "Stage3::select_writable(int, fd_set*)", dso: "/w/servers/bin/watpipe" });
  assert.is(cleanSymbol("Stage3::select_writable(int, fd_set*)"), "Stage3::select_writable");
  assert.is(cleanSymbol("getname_flags.part.0"), "getname_flags");
});

test("captured nginx sample: categories sum to 100%, idle excluded, networking dominates the kernel", () => {
  const r = reduce(parsePerfScript(captured), ["nginx"], new Map());
  assert.is(r.idleSamples, 40);
  assert.is(r.samples, 306 - 40);
  assert.ok(Math.abs(leafSum(r.rows) - 100) < 1e-9, `sum ${leafSum(r.rows)}`);
  const kernel = pctOf(r.rows, "vmlinux_total");
  assert.ok(kernel > 50, `kernel share ${kernel}`);
  assert.ok(pctOf(r.rows, "networking") > pctOf(r.rows, "memory_mgmt"));
  assert.ok(pctOf(r.rows, "application") > 0);     // ngx_* functions of the server binary
  assert.ok(pctOf(r.rows, "libc_total") > 0);       // malloc
  // The mapping should leave little unexplained: at most 10% of kernel samples in "others".
  assert.ok(pctOf(r.rows, "others") < 10, `others ${pctOf(r.rows, "others")}: ${JSON.stringify(r.unmatchedKernel.slice(0, 8))}`);
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
    const c = (sym: string, dso: string, tid = 9) => classify({ comm: "x", tid, symbol: sym, dso }, ["knot", "userver", "watpipe"], index);
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
    assert.is(c("some_new_kernel_fn", "[kernel.kallsyms]").category, "others");
    assert.is(c("perf_event_task", "/usr/bin/perf").section, "other");
    // softirq work on task 0 is the host's work, only the idle loop is excluded
    const r = reduce(parsePerfScript(
      "swapper 0 [001] ffff1 pv_native_safe_halt ([kernel.kallsyms])\nswapper 0 [001] ffff2 tcp_v4_rcv ([kernel.kallsyms])\n"), [], index);
    assert.is(r.idleSamples, 1);
    assert.is(pctOf(r.rows, "networking"), 100);
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
