/* The counters every server reports, and their JSON stats line. */
#ifndef COMMON_STATS_H
#define COMMON_STATS_H

#include <stdint.h>

#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Cumulative since start. */
struct stats {
    uint64_t accepted;        /* connections accepted */
    uint64_t closed;          /* connections closed, for any reason */
    uint64_t requests;        /* requests parsed, including bad ones */
    uint64_t replies;         /* replies written completely */
    uint64_t bytes;           /* reply bytes written (headers + bodies) */
    uint64_t status_4xx, status_5xx;
    uint64_t event_calls;     /* calls to select/poll/epoll_wait */
    uint64_t event_fds_total; /* sum of interest-set sizes over those calls */
    uint64_t timeouts_idle;   /* connections closed by the idle timeout */
    uint64_t conn_errors;     /* connections closed by a failed syscall (reset, vanished client, ...) */
};

void stats_add(struct stats *sum, const struct stats *s);

/* Counts one reply status in status_4xx/status_5xx. */
void stats_count_status(struct stats *s, int status);

/* Seconds on the monotonic clock. */
double stats_now(void);

/* Prints {"event":"stats","server":…,"pid":…,"uptime_s":…, the counters, then the server's own members `extra`
 * (or NULL)} on stdout as one line, however long, and flushes. */
void stats_print(const char *server, const struct stats *s, double uptime_s, const struct json *extra);

#ifdef __cplusplus
}
#endif
#endif
