/* Command-line flags common to every server, signal flags, and the ready line. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t cli_stop;
volatile sig_atomic_t cli_dump_stats;

int cli_long(const char *flag, const char *value, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        fprintf(stderr, "%s: expected an integer in [%ld, %ld], got '%s'\n", flag, min, max, value);
        return -1;
    }
    *out = v;
    return 0;
}

static int common_flag(struct cli_common *c, const char *flag, const char *value)
{
    long v;
    if (strcmp(flag, "--root") == 0) {
        c->root = value;
    } else if (strcmp(flag, "--addr") == 0) {
        c->addr = value;
    } else if (strcmp(flag, "--port") == 0) {
        if (cli_long(flag, value, 0, 65535, &v))
            return -1;
        c->port = (int)v;
    } else if (strcmp(flag, "--max-conns") == 0) {
        if (cli_long(flag, value, 1, 10000000, &v))
            return -1;
        c->max_conns = v;
    } else if (strcmp(flag, "--backlog") == 0) {
        if (cli_long(flag, value, 1, 1 << 20, &v))
            return -1;
        c->backlog = (int)v;
    } else if (strcmp(flag, "--idle-timeout") == 0) {
        char *end;
        double t = strtod(value, &end);
        if (end == value || *end || !(t > 0 && t < 1e6)) {
            fprintf(stderr, "%s: expected seconds > 0, got '%s'\n", flag, value);
            return -1;
        }
        c->idle_timeout = t;
    } else {
        return 1; /* not a common flag */
    }
    return 0;
}

int cli_parse(int argc, char **argv, const char *usage, struct cli_common *c, cli_flag_fn server_flag, void *ctx)
{
    *c = (struct cli_common){.addr = "0.0.0.0", .port = 8080, .max_conns = 10000, .idle_timeout = 60, .backlog = 4096};
    for (int i = 1; i < argc; i++) {
        char flag[64];
        const char *value;
        const char *eq = strchr(argv[i], '=');
        if (strncmp(argv[i], "--", 2) != 0 || strcmp(argv[i], "--help") == 0)
            goto usage;
        if (eq) {
            snprintf(flag, sizeof flag, "%.*s", (int)(eq - argv[i]), argv[i]);
            value = eq + 1;
        } else {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: missing value\n", argv[i]);
                goto usage;
            }
            snprintf(flag, sizeof flag, "%s", argv[i]);
            value = argv[++i];
        }
        int r = common_flag(c, flag, value);
        if (r == 1)
            r = server_flag ? server_flag(ctx, flag, value) : -1;
        if (r != 0) {
            fprintf(stderr, "bad or unknown flag %s\n", flag);
            goto usage;
        }
    }
    if (!c->root) {
        fprintf(stderr, "--root is required\n");
        goto usage;
    }
    return 0;
usage:
    fprintf(stderr, "%s", usage);
    return -1;
}

void cli_common_json(struct json *j, const struct cli_common *c)
{
    json_str(j, "root", c->root);
    json_str(j, "addr", c->addr);
    json_int(j, "port", c->port);
    json_int(j, "max_conns", c->max_conns);
    json_num(j, "idle_timeout", c->idle_timeout);
    json_int(j, "backlog", c->backlog);
}

void cli_print_ready(const char *server, int port, const struct json *config)
{
    printf("{\"event\":\"ready\",\"server\":\"%s\",\"pid\":%d,\"port\":%d,\"config\":{%s}}\n", server, (int)getpid(),
           port, json_text(config));
    fflush(stdout);
}

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        cli_dump_stats = 1;
    else
        cli_stop = 1;
}

int cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL) || sigaction(SIGUSR1, &sa, NULL))
        return -1;
    return 0;
}
