/* userver's configuration, the memory its processes share, and the entry points of its parts. */
#ifndef USERVER_H
#define USERVER_H

#include <stdatomic.h>

#include "cache.h"
#include "cli.h"
#include "stats.h"

enum mode { MODE_SPED, MODE_SYMPED, MODE_SHARED };

/* The flag value and stats-line name of a mode. */
static inline const char *mode_name(enum mode m)
{
    return m == MODE_SPED ? "sped" : m == MODE_SYMPED ? "symped" : "shared";
}

struct config {
    struct cli_common common;
    enum mode mode;
    int procs;            /* serving processes */
    const char *events;   /* select | poll | epoll */
    int blocking;         /* --sendfile b: sockets block while a reply is written (§5.3) */
    long cache_fds;       /* entries of each cache (-1: as many as the descriptor limit leaves) */
};

/* Mapped MAP_SHARED before the processes are created. */
struct shared {
    atomic_long conns;    /* open connections of all processes, checked against --max-conns */
    atomic_uint lock;     /* futex word of the shared cache (shared mode) */
    struct stats stats[]; /* one per serving process, written only by it */
};

/* One serving process's event loop (loop.c): serves connections on listen_fd until cli_stop; returns the exit
 * status. `st` is this process's slot; `prints` makes this process answer SIGUSR1 itself (SPED: there is no
 * supervisor). */
int loop_run(const struct config *cfg, int listen_fd, int fd_capacity, struct shared *sh, struct stats *st,
             struct cache *cache, int prints);

/* The futex-based mutex of the shared cache (lock word in shared memory, usable across processes). */
void futex_lock(void *word);
void futex_unlock(void *word);

/* Prints the stats line of the whole server: the processes' counters summed (report.c). */
void userver_print_stats(const struct config *cfg, struct shared *sh, double started);

#endif
