/* userver: the event-driven server of §5 in SPED, SYMPED and shared-SYMPED modes (start-up and supervision). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "net.h"
#include "path.h"
#include "userver.h"

static const char usage[] =
    "usage: userver --root DIR [--addr A] [--port N] [--max-conns N] [--idle-timeout SEC] [--backlog N]\n"
    "               [--mode sped|symped|shared] [--procs N] [--events select|poll|epoll] [--sendfile nb|b]\n"
    "               [--cache-fds N]\n";

static int server_flag(void *ctx, const char *flag, const char *value)
{
    struct config *cfg = ctx;
    long v;
    if (strcmp(flag, "--mode") == 0) {
        for (int m = MODE_SPED; m <= MODE_SHARED; m++)
            if (strcmp(value, mode_name((enum mode)m)) == 0) {
                cfg->mode = (enum mode)m;
                return 0;
            }
        return -1;
    }
    if (strcmp(flag, "--procs") == 0) {
        if (cli_long(flag, value, 1, 1000, &v))
            return -1;
        cfg->procs = (int)v;
        return 0;
    }
    if (strcmp(flag, "--events") == 0) {
        if (strcmp(value, "select") && strcmp(value, "poll") && strcmp(value, "epoll"))
            return -1;
        cfg->events = value;
        return 0;
    }
    if (strcmp(flag, "--sendfile") == 0) {
        if (strcmp(value, "nb") && strcmp(value, "b"))
            return -1;
        cfg->blocking = strcmp(value, "b") == 0;
        return 0;
    }
    if (strcmp(flag, "--cache-fds") == 0) {
        if (cli_long(flag, value, 0, 10000000, &v))
            return -1;
        cfg->cache_fds = v;
        return 0;
    }
    return -1;
}

static volatile sig_atomic_t child_exited;

static void on_sigchld(int sig)
{
    (void)sig;
    child_exited = 1;
}

static void *map_shared(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "userver: mmap(%zu bytes, MAP_SHARED): %s\n", bytes, strerror(errno));
        return NULL;
    }
    return p;
}

/* Entries of each cache when --cache-fds is not given: what one fd table has left after its connections (all of
 * them and each process's event descriptor in SPED and shared mode; in SYMPED about its share, doubled for uneven
 * accepts). SYMPED has one private cache per process. */
static long cache_capacity(const struct config *cfg, long nofile)
{
    if (cfg->cache_fds >= 0)
        return cfg->cache_fds;
    long conns = cfg->common.max_conns;
    if (cfg->mode != MODE_SYMPED)
        return cache_default_capacity(nofile, conns + cfg->procs, 1);
    long share = 2 * ((conns + cfg->procs - 1) / cfg->procs);
    return cache_default_capacity(nofile, share < conns ? share : conns, cfg->procs);
}

/* A serving process: SYMPED processes are forked (private fd tables and caches); shared-SYMPED processes are
 * cloned with CLONE_FILES (one fd table) and use the cache in shared memory. */
static pid_t start_process(const struct config *cfg, int listen_fd, int capacity, struct shared *sh, int index,
                           struct cache *shared_cache, int rootfd, long cache_entries)
{
    pid_t parent = getpid();
    fflush(stdout);
    pid_t pid = cfg->mode == MODE_SHARED ? (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, NULL, NULL, NULL, 0)
                                         : fork();
    if (pid != 0)
        return pid;
    /* child */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        _exit(1);
    struct cache *cache = shared_cache;
    void *own = NULL;
    if (!cache) {
        own = malloc(cache_bytes((uint32_t)cache_entries));
        if (!own) {
            fprintf(stderr, "userver: malloc(cache of %ld entries) failed\n", cache_entries);
            _exit(1);
        }
        cache = cache_init(own, (uint32_t)cache_entries, rootfd, NULL);
    }
    int status = loop_run(cfg, listen_fd, capacity, sh, &sh->stats[index], cache, 0);
    if (own) {
        cache_close_all(cache);
        free(own);
    }
    exit(status);
}

/* Waits for signals: SIGUSR1 prints the summed stats, SIGTERM/SIGINT stop the processes, a process that dies
 * on its own stops the server with status 1. */
static int supervise(const struct config *cfg, struct shared *sh, pid_t *pids, int count, double started)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    int status = 0, alive = count, forwarded = 0;
    while (alive > 0) {
        if (cli_dump_stats) {
            cli_dump_stats = 0;
            userver_print_stats(cfg, sh, started);
        }
        if (child_exited) {
            child_exited = 0;
            pid_t pid;
            int ws;
            while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
                alive--;
                for (int i = 0; i < count; i++)
                    if (pids[i] == pid)
                        pids[i] = 0;
                if (!cli_stop || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
                    fprintf(stderr, "userver: process %d ended (status 0x%x)%s\n", (int)pid, ws,
                            cli_stop ? "" : ", stopping the server");
                    status = 1;
                    cli_stop = 1;
                }
            }
        }
        if (cli_stop && !forwarded) {
            forwarded = 1;
            for (int i = 0; i < count; i++)
                if (pids[i] > 0)
                    kill(pids[i], SIGTERM);
        }
        if (alive > 0)
            sigsuspend(&old);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return status;
}

int main(int argc, char **argv)
{
    /* 1. arguments */
    struct config cfg = {.mode = MODE_SPED, .procs = 1, .events = "poll", .cache_fds = -1};
    if (cli_parse(argc, argv, usage, &cfg.common, server_flag, &cfg) != 0)
        return 2;
    if (cfg.mode == MODE_SPED && cfg.procs != 1) {
        fprintf(stderr, "userver: --mode sped runs one process; use --mode symped or shared for --procs %d\n", cfg.procs);
        return 2;
    }
    double started = stats_now();

    /* 2. process-wide settings: SIGPIPE, signal flags, descriptor limit */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    if (net_ignore_sigpipe() != 0 || cli_install_signals() != 0 || sigaction(SIGCHLD, &sa, NULL) != 0) {
        fprintf(stderr, "userver: sigaction: %s\n", strerror(errno));
        return 1;
    }
    long nofile = net_raise_nofile();
    if (nofile < 0) {
        fprintf(stderr, "userver: setrlimit(RLIMIT_NOFILE): %s\n", strerror(errno));
        return 1;
    }

    /* 3. document root and listening socket (before the processes, which share it) */
    int rootfd = path_open_root(cfg.common.root);
    if (rootfd < 0) {
        fprintf(stderr, "userver: open(%s): %s\n", cfg.common.root, strerror(errno));
        return 1;
    }
    int port;
    int listen_fd = net_listen(cfg.common.addr, cfg.common.port, cfg.common.backlog, &port);
    if (listen_fd < 0)
        return 1;

    /* 4. shared memory: connection count, stats slots, and in shared mode the cache and its futex */
    struct shared *sh = map_shared(sizeof *sh + (size_t)cfg.procs * sizeof(struct stats));
    long entries = cache_capacity(&cfg, nofile);
    struct cache *cache = NULL;
    void *cache_mem = NULL;
    if (!sh)
        return 1;
    if (cfg.mode != MODE_SYMPED) {
        cache_mem = cfg.mode == MODE_SHARED ? map_shared(cache_bytes((uint32_t)entries))
                                            : malloc(cache_bytes((uint32_t)entries));
        if (!cache_mem) {
            fprintf(stderr, "userver: no memory for a cache of %ld entries\n", entries);
            return 1;
        }
        struct cache_ops ops = {.lock = futex_lock, .unlock = futex_unlock, .arg = &sh->lock};
        cache = cache_init(cache_mem, (uint32_t)entries, rootfd, cfg.mode == MODE_SHARED ? &ops : NULL);
    }

    /* 5. configuration, as the ready line reports it */
    struct json config;
    json_init(&config);
    cli_common_json(&config, &cfg.common);
    json_str(&config, "mode", mode_name(cfg.mode));
    json_int(&config, "procs", cfg.procs);
    json_str(&config, "events", cfg.events);
    json_str(&config, "sendfile", cfg.blocking ? "b" : "nb");
    json_int(&config, "cache_fds", entries);
    json_int(&config, "nofile", nofile);

    int status;
    if (cfg.mode == MODE_SPED) {
        /* 6a. SPED: this process serves */
        cli_print_ready("userver", port, &config);
        status = loop_run(&cfg, listen_fd, (int)nofile, sh, &sh->stats[0], cache, 1);
    } else {
        /* 6b. SYMPED / shared-SYMPED: start the processes, then supervise them */
        pid_t pids[cfg.procs]; /* on the stack: the children's copies need no freeing */
        int n = 0;
        for (; n < cfg.procs; n++) {
            pids[n] = start_process(&cfg, listen_fd, (int)nofile, sh, n, cache, rootfd, entries);
            if (pids[n] < 0) {
                fprintf(stderr, "userver: %s: %s\n", cfg.mode == MODE_SHARED ? "clone(CLONE_FILES)" : "fork",
                        strerror(errno));
                cli_stop = 1;
                break;
            }
        }
        if (!cli_stop)
            cli_print_ready("userver", port, &config);
        status = supervise(&cfg, sh, pids, n, started) || n < cfg.procs;
    }

    /* 7. final stats and clean-up */
    userver_print_stats(&cfg, sh, started);
    json_free(&config);
    if (cache)
        cache_close_all(cache);
    if (cfg.mode == MODE_SHARED)
        munmap(cache_mem, cache_bytes((uint32_t)entries));
    else
        free(cache_mem);
    munmap(sh, sizeof *sh + (size_t)cfg.procs * sizeof(struct stats));
    close(listen_fd);
    close(rootfd);
    return status;
}
