/* userver's stats line: the counters of its serving processes summed, with the configuration they run. */
#include <string.h>

#include "json.h"
#include "userver.h"

void userver_print_stats(const struct config *cfg, struct shared *sh, double started)
{
    struct stats sum;
    memset(&sum, 0, sizeof sum);
    for (int i = 0; i < cfg->procs; i++)
        stats_add(&sum, &sh->stats[i]);
    struct json extra;
    json_init(&extra);
    json_int(&extra, "procs", cfg->procs);
    json_str(&extra, "mode", mode_name(cfg->mode));
    json_str(&extra, "events", cfg->events);
    json_str(&extra, "sendfile", cfg->blocking ? "b" : "nb");
    json_int(&extra, "open_conns", atomic_load(&sh->conns));
    stats_print("userver", &sum, stats_now() - started, &extra);
    json_free(&extra);
}
