// watpipe: the pipeline web server of the paper's §6 (start-up, signals and the stats line).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli.h"
#include "counters.hpp"
#include "json.h"
#include "net.h"
#include "pipeline.hpp"
#include "shared_cache.hpp"
#include "stats.h"

using namespace watpipe;

static const char kUsage[] =
    "usage: watpipe --root DIR [--addr A] [--port N] [--max-conns N] [--idle-timeout SEC] [--backlog N]\n"
    "               [--writers N] [--cache-entries N]\n"
    "  --writers N        threads in stage 4, the writer pool (default 25)\n"
    "  --cache-entries N  open files and headers cached (default: what the descriptor limit leaves after\n"
    "                     --max-conns)\n";

struct Flags {
    long writers = 25;
    long cache_entries = 0;  // 0: derived from the descriptor limit
};

static int server_flag(void *ctx, const char *flag, const char *value) {
    Flags &f = *static_cast<Flags *>(ctx);
    if (strcmp(flag, "--writers") == 0) return cli_long(flag, value, 1, 1000, &f.writers);
    if (strcmp(flag, "--cache-entries") == 0) return cli_long(flag, value, 1, 1 << 20, &f.cache_entries);
    return -1;
}

static void print_stats(Counters &c, SharedCache &files, double started) {
    stats s = c.snapshot();
    cache_stats cs = files.stats();
    std::string jobs = "[";
    for (int i = 0; i < c.writers; i++) jobs += (i ? "," : "") + std::to_string(c.writer_jobs[i].load());
    jobs += "]";
    json extra;
    json_init(&extra);
    json_raw(&extra, "writer_jobs", jobs.c_str());
    json_int(&extra, "cache_hits", static_cast<long long>(cs.hits));
    json_int(&extra, "cache_misses", static_cast<long long>(cs.misses));
    json_int(&extra, "cache_evictions", static_cast<long long>(cs.evictions));
    json_int(&extra, "cache_shed", static_cast<long long>(cs.shed));
    stats_print("watpipe", &s, stats_now() - started, &extra);
    json_free(&extra);
}

int main(int argc, char **argv) {
    // 1. Arguments.
    cli_common cli;
    Flags flags;
    if (cli_parse(argc, argv, kUsage, &cli, server_flag, &flags) != 0) return 2;

    // 2. Limits: select's bitmaps and the connection table cover every descriptor the process may open.
    long fd_limit = net_raise_nofile();
    if (fd_limit < 0) {
        fprintf(stderr, "watpipe: getrlimit/setrlimit(RLIMIT_NOFILE): %s\n", strerror(errno));
        return 1;
    }
    long cache_entries = flags.cache_entries;
    if (cache_entries == 0) cache_entries = cache_default_capacity(fd_limit, cli.max_conns, 1);

    // 3. Signals: SIGPIPE ignored; the others are blocked in every thread and taken by sigwait below.
    if (net_ignore_sigpipe() != 0) {
        fprintf(stderr, "watpipe: sigaction(SIGPIPE): %s\n", strerror(errno));
        return 1;
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGUSR1);
    if (pthread_sigmask(SIG_BLOCK, &sigs, nullptr) != 0) {
        fprintf(stderr, "watpipe: pthread_sigmask failed\n");
        return 1;
    }

    // 4. The listening socket and the shared cache.
    int port = 0;
    int listen_fd = net_listen(cli.addr, cli.port, cli.backlog, &port);
    if (listen_fd < 0) return 1;
    SharedCache files(cli.root, static_cast<uint32_t>(cache_entries));
    Counters counters(static_cast<int>(flags.writers));
    double started = stats_now();

    // 5. The pipeline's threads.
    Options opt = {static_cast<int>(cli.max_conns), cli.idle_timeout, static_cast<int>(flags.writers),
                   static_cast<int>(fd_limit)};
    Pipeline pipeline(opt, listen_fd, files.get(), counters);
    pipeline.start();

    json config;
    json_init(&config);
    cli_common_json(&config, &cli);
    json_int(&config, "writers", flags.writers);
    json_int(&config, "cache_entries", cache_entries);
    json_int(&config, "fd_limit", fd_limit);
    cli_print_ready("watpipe", port, &config);
    json_free(&config);

    // 6. Signals until asked to stop.
    for (;;) {
        int sig = 0;
        if (sigwait(&sigs, &sig) != 0) continue;
        if (sig == SIGUSR1) {
            print_stats(counters, files, started);
            continue;
        }
        break;
    }

    // 7. Clean exit: stop the stages, close every connection, report.
    pipeline.stop();
    close(listen_fd);
    print_stats(counters, files, started);
    return 0;
}
