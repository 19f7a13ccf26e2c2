/* The counters every server reports, and their JSON stats line. */
#include "stats.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

void stats_add(struct stats *sum, const struct stats *s)
{
    sum->accepted += s->accepted;
    sum->closed += s->closed;
    sum->requests += s->requests;
    sum->replies += s->replies;
    sum->bytes += s->bytes;
    sum->status_4xx += s->status_4xx;
    sum->status_5xx += s->status_5xx;
    sum->event_calls += s->event_calls;
    sum->event_fds_total += s->event_fds_total;
    sum->timeouts_idle += s->timeouts_idle;
    sum->conn_errors += s->conn_errors;
}

void stats_count_status(struct stats *s, int status)
{
    if (status >= 500)
        s->status_5xx++;
    else if (status >= 400)
        s->status_4xx++;
}

double stats_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void stats_print(const char *server, const struct stats *s, double uptime_s, const struct json *extra)
{
    struct json j;
    json_init(&j);
    json_str(&j, "event", "stats");
    json_str(&j, "server", server);
    json_int(&j, "pid", (long long)getpid());
    json_num(&j, "uptime_s", uptime_s);
    json_int(&j, "accepted", (long long)s->accepted);
    json_int(&j, "closed", (long long)s->closed);
    json_int(&j, "requests", (long long)s->requests);
    json_int(&j, "replies", (long long)s->replies);
    json_int(&j, "bytes", (long long)s->bytes);
    json_int(&j, "status_4xx", (long long)s->status_4xx);
    json_int(&j, "status_5xx", (long long)s->status_5xx);
    json_int(&j, "event_calls", (long long)s->event_calls);
    json_int(&j, "event_fds_total", (long long)s->event_fds_total);
    json_int(&j, "timeouts_idle", (long long)s->timeouts_idle);
    json_int(&j, "conn_errors", (long long)s->conn_errors);
    int more = extra && extra->members > 0;
    printf("{%s%s%s}\n", json_text(&j), more ? "," : "", more ? json_text(extra) : "");
    fflush(stdout);
    json_free(&j);
}
