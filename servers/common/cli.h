/* Command-line flags common to every server, signal flags, and the ready line. */
#ifndef COMMON_CLI_H
#define COMMON_CLI_H

#include <signal.h>

#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cli_common {
    const char *root;      /* --root DIR (required) */
    const char *addr;      /* --addr A (0.0.0.0) */
    int port;              /* --port N (8080; 0 = ephemeral) */
    long max_conns;        /* --max-conns N (10000): open connections allowed at once, whole server */
    double idle_timeout;   /* --idle-timeout SEC (60; fractions allowed) */
    int backlog;           /* --backlog N (4096): listen queue */
};

/* Handles one server-specific flag: returns 0 if it took `value`, -1 if the flag is unknown or the value bad
 * (after printing why). */
typedef int (*cli_flag_fn)(void *ctx, const char *flag, const char *value);

/* Parses `--flag value` or `--flag=value` pairs: common flags into *c (defaults first), the others through
 * `server_flag`. Prints `usage` and returns -1 on any error or on --help; 0 otherwise. */
int cli_parse(int argc, char **argv, const char *usage, struct cli_common *c, cli_flag_fn server_flag, void *ctx);

/* Parses an integer in [min, max]; prints the flag name and returns -1 if it is not one. */
int cli_long(const char *flag, const char *value, long min, long max, long *out);

/* Adds the common flags to a config object. */
void cli_common_json(struct json *j, const struct cli_common *c);

/* Prints {"event":"ready","server":…,"pid":…,"port":…,"config":{config}} and flushes. */
void cli_print_ready(const char *server, int port, const struct json *config);

/* Set by the handlers cli_install_signals installs: SIGTERM/SIGINT → cli_stop, SIGUSR1 → cli_dump_stats.
 * The handlers only set flags (no SA_RESTART: blocking calls return EINTR so loops notice). */
extern volatile sig_atomic_t cli_stop;
extern volatile sig_atomic_t cli_dump_stats;
int cli_install_signals(void);

#ifdef __cplusplus
}
#endif
#endif
