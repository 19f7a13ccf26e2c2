/* State shared by knot's files: its configuration, the listening socket, the caches and the counters. */
#ifndef KNOT_KNOT_H
#define KNOT_KNOT_H

#include <st.h>

#include "cache.h"
#include "cli.h"
#include "stats.h"

enum knot_variant { KNOT_C, KNOT_NB, KNOT_B };

struct knot_config {
    struct cli_common common;
    enum knot_variant variant;
    long threads;      /* T: user-level connection threads = the connection cap */
    long workers;      /* W: kernel worker threads */
    long cache_mb;     /* knot-c: application-level content cache */
    long cache_fds;  /* entries of the shared cache of open files and headers */
    long stack_kb;     /* stack of each user-level thread */
};

/* Everything here is used by user-level threads only, which run one at a time on the scheduler's kernel
 * thread: no locks. */
struct knot {
    struct knot_config cfg;
    st_netfd_t listener;
    st_mutex_t accept_gate; /* the one idle thread allowed to wait in accept (see conn.c) */
    st_utime_t idle_timeout_us;
    struct cache *cache;
    struct stats stats;
    uint64_t accept_errors;
    uint64_t accept_starved; /* accept errors for lack of descriptors or memory */
};

extern struct knot knot;

/* Starts the T connection threads. 0, or -1 + errno. */
int conn_start_threads(void);

/* The shared cache's open of a miss, run on a worker thread (knot's cache_ops.open, see disk.c). */
int disk_cache_open(void *arg, struct cache *c, const char *path, size_t len, int *fd, off_t *size);

#endif
