/* knot: the thread-per-connection web server of the paper's §4 (knot-c, knot-nb, knot-b) on the Capriccio-like
 * runtime in runtime/. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "content.h"
#include "json.h"
#include "knot.h"
#include "net.h"
#include "path.h"
#include "runtime/rt.h"

static double started;
static int signal_fd;
static st_netfd_t signals; /* global, so that LeakSanitizer sees it */

static const char usage[] =
    "usage: knot --root DIR [--addr A] [--port N] [--max-conns N] [--idle-timeout SEC] [--backlog N]\n"
    "            [--variant c|nb|b] [--threads T] [--workers W] [--cache-mb M] [--cache-fds N] [--stack-kb K]\n"
    "  --variant    c: application-level cache of file contents sent with write (the original Knot);\n"
    "               nb: non-blocking sendfile in a worker; b: blocking sendfile in a worker (default b)\n"
    "  --threads    user-level threads = connection cap (default and upper bound: --max-conns)\n"
    "  --workers    kernel worker threads for disk operations and sendfile (default 100)\n"
    "  --cache-mb   knot-c's content cache, MB (default 1000)\n"
    "  --cache-fds  open files and headers cached (default: the descriptors left after T connections)\n"
    "  --stack-kb   stack of each user-level thread, KiB (default 32)\n";

static int knot_flag(void *ctx, const char *flag, const char *value)
{
    struct knot_config *cfg = ctx;
    if (strcmp(flag, "--variant") == 0) {
        if (strcmp(value, "c") == 0)
            cfg->variant = KNOT_C;
        else if (strcmp(value, "nb") == 0)
            cfg->variant = KNOT_NB;
        else if (strcmp(value, "b") == 0)
            cfg->variant = KNOT_B;
        else {
            fprintf(stderr, "--variant: expected c, nb or b, got '%s'\n", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(flag, "--threads") == 0)
        return cli_long(flag, value, 1, 1000000, &cfg->threads);
    if (strcmp(flag, "--workers") == 0)
        return cli_long(flag, value, 1, 10000, &cfg->workers);
    if (strcmp(flag, "--cache-mb") == 0)
        return cli_long(flag, value, 1, 1 << 20, &cfg->cache_mb);
    if (strcmp(flag, "--cache-fds") == 0)
        return cli_long(flag, value, 1, 1 << 24, &cfg->cache_fds);
    if (strcmp(flag, "--stack-kb") == 0)
        return cli_long(flag, value, 16, 1 << 20, &cfg->stack_kb);
    return -1;
}

static const char *variant_name(enum knot_variant v)
{
    return v == KNOT_C ? "c" : v == KNOT_NB ? "nb" : "b";
}

static void parse_args(int argc, char **argv, struct knot_config *cfg)
{
    *cfg = (struct knot_config){ .variant = KNOT_B, .workers = 100, .cache_mb = 1000, .stack_kb = 32 };
    if (cli_parse(argc, argv, usage, &cfg->common, knot_flag, cfg) != 0)
        exit(2);
    if (cfg->threads == 0 || cfg->threads > cfg->common.max_conns)
        cfg->threads = cfg->common.max_conns;
}

static void die(const char *what)
{
    fprintf(stderr, "knot: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Resident memory, from /proc/self/statm (0 if unreadable). */
static long rss_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void print_stats(void)
{
    struct rt_stats rt;
    struct cache_stats cs;
    rt_get_stats(&rt);
    cache_get_stats(knot.cache, &cs);
    knot.stats.event_calls = rt.poll_calls;
    knot.stats.event_fds_total = rt.poll_fds_total;

    struct json j;
    json_init(&j);
    json_int(&j, "threads", knot.cfg.threads);
    json_int(&j, "user_ctx_switches", (long long)rt.user_ctx_switches);
    json_int(&j, "worker_jobs", (long long)rt.worker_jobs);
    json_int(&j, "worker_queue", (long long)rt.worker_queue);
    json_int(&j, "worker_queue_max", (long long)rt.worker_queue_max);
    json_int(&j, "workers_busy", (long long)rt.workers_busy);
    json_int(&j, "workers_busy_max", (long long)rt.workers_busy_max);
    json_int(&j, "worker_polls", (long long)rt.worker_polls);
    json_int(&j, "worker_poll_timeouts", (long long)rt.worker_poll_timeouts);
    json_int(&j, "cache_hits", (long long)cs.hits);
    json_int(&j, "cache_misses", (long long)cs.misses);
    json_int(&j, "cache_evictions", (long long)cs.evictions);
    json_int(&j, "cache_uncached", (long long)cs.uncached);
    json_int(&j, "cache_shed", (long long)cs.shed);
    if (knot.cfg.variant == KNOT_C) {
        struct content_stats ct;
        content_get_stats(&ct);
        json_int(&j, "content_hits", (long long)ct.hits);
        json_int(&j, "content_misses", (long long)ct.misses);
        json_int(&j, "content_evictions", (long long)ct.evictions);
        json_int(&j, "content_uncached", (long long)ct.uncached);
        json_int(&j, "content_bytes", (long long)ct.bytes);
    }
    json_int(&j, "accept_errors", (long long)knot.accept_errors);
    json_int(&j, "accept_starved", (long long)knot.accept_starved);
    json_int(&j, "rss_kb", rss_kb());
    stats_print("knot", &knot.stats, stats_now() - started, &j);
    json_free(&j);
}

/* SIGUSR1, SIGTERM and SIGINT are blocked and read from a signalfd by this user thread, so that a signal wakes
 * the scheduler's poll like any other event. */
static void *signal_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct signalfd_siginfo si;
        if (st_read(signals, &si, sizeof si, ST_UTIME_NO_TIMEOUT) != (ssize_t)sizeof si)
            die("read(signalfd)");
        print_stats();
        if (si.ssi_signo != SIGUSR1)
            exit(0);
    }
    return NULL;
}

static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    if (sigprocmask(SIG_BLOCK, set, NULL) != 0)
        die("sigprocmask");
}

static void print_ready(int port)
{
    struct json j;
    json_init(&j);
    cli_common_json(&j, &knot.cfg.common);
    json_str(&j, "variant", variant_name(knot.cfg.variant));
    json_int(&j, "threads", knot.cfg.threads);
    json_int(&j, "workers", knot.cfg.workers);
    if (knot.cfg.variant == KNOT_C)
        json_int(&j, "cache_mb", knot.cfg.cache_mb);
    json_int(&j, "cache_fds", knot.cfg.cache_fds);
    json_int(&j, "stack_kb", knot.cfg.stack_kb);
    json_str(&j, "eventsys", st_get_eventsys_name());
    cli_print_ready("knot", port, &j);
    json_free(&j);
}

static pthread_mutex_t cache_mutex = PTHREAD_MUTEX_INITIALIZER;
static void cache_mutex_lock(void *arg) { pthread_mutex_lock(arg); }
static void cache_mutex_unlock(void *arg) { pthread_mutex_unlock(arg); }

/* The shared cache of open files and headers, sized to the descriptors the T connections leave free. Its opens
 * run on workers (disk.c); it is locked because besides the scheduler thread, a worker sheds entries when an open
 * finds the descriptor table full. */
static void open_file_cache(void)
{
    long nofile = net_raise_nofile();
    if (nofile < 0)
        die("setrlimit(RLIMIT_NOFILE)");
    if (knot.cfg.cache_fds == 0)
        knot.cfg.cache_fds = cache_default_capacity(nofile, knot.cfg.threads, 1);
    int rootfd = path_open_root(knot.cfg.common.root);
    if (rootfd < 0)
        die(knot.cfg.common.root);
    void *mem = malloc(cache_bytes((uint32_t)knot.cfg.cache_fds));
    if (!mem)
        die("malloc(cache)");
    struct cache_ops ops = { cache_mutex_lock, cache_mutex_unlock, disk_cache_open, &cache_mutex };
    knot.cache = cache_init(mem, (uint32_t)knot.cfg.cache_fds, rootfd, &ops);
}

int main(int argc, char **argv)
{
    /* 1. arguments */
    started = stats_now();
    parse_args(argc, argv, &knot.cfg);
    knot.idle_timeout_us = (st_utime_t)(knot.cfg.common.idle_timeout * 1e6);

    /* 2. signals: read from a signalfd, blocked before any worker exists so that all of them inherit the mask */
    sigset_t sigs;
    block_signals(&sigs);
    signal_fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0)
        die("signalfd");
    if (net_ignore_sigpipe() != 0)
        die("sigaction(SIGPIPE)");

    /* 3. descriptor limit, the shared cache and the listening socket */
    open_file_cache();
    int port;
    int listen_fd = net_listen(knot.cfg.common.addr, knot.cfg.common.port, knot.cfg.common.backlog, &port);
    if (listen_fd < 0)
        exit(1);

    /* 4. the runtime (scheduler + W workers) and knot-c's content cache */
    enum rt_sendfile_mode mode = knot.cfg.variant == KNOT_B ? RT_SENDFILE_B : RT_SENDFILE_NB;
    if (rt_init((int)knot.cfg.workers, mode) != 0)
        die("runtime start (st_init, eventfd, pthread_create)");
    if (knot.cfg.variant == KNOT_C && content_init((size_t)knot.cfg.cache_mb << 20) != 0)
        die("content cache");

    /* 5. the T connection threads and the signal thread */
    knot.listener = st_netfd_open_socket(listen_fd);
    knot.accept_gate = st_mutex_new();
    signals = st_netfd_open(signal_fd);
    if (!knot.listener || !knot.accept_gate || !signals)
        die("st_netfd_open/st_mutex_new");
    if (conn_start_threads() != 0)
        die("starting the connection threads");
    if (!rt_thread_create(signal_main, NULL, 64 * 1024))
        die("starting the signal thread");

    /* 6. ready: main's own thread ends; the process lives on in the others */
    print_ready(port);
    st_thread_exit(NULL);
    return 0;
}
