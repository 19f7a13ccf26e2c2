/* Command line of the load generator: parse options, load the session log, run, report. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "engine.h"
#include "manifest.h"
#include "report.h"
#include "sesslog.h"

struct options {
	const char *server, *wsesslog, *json, *csv, *verify, *id;
	int port;
	double rate, duration, timeout, think, grace;
	int drain;
	long long sessions, start_at, max_fds;
};

static const char usage[] =
	"usage: loadgen --server ADDR --port N --wsesslog FILE --rate SESSIONS_PER_S (--sessions N | --duration S)\n"
	"               [--timeout 15] [--think 0] [--grace 2] [--start-at UNIX_MS] [--json FILE] [--csv FILE]\n"
	"               [--verify ROOT] [--max-fds N] [--id NAME] [--drain]\n"
	"Replays an httperf --wsesslog file: sessions start at RATE per second (templates round-robin), each on\n"
	"one persistent HTTP/1.1 connection; --think is the think time of bursts without think=; the run ends when\n"
	"every session is done or at start + sessions/rate + timeout + grace, whichever is first. --drain: once the\n"
	"last session has started, sessions send no further burst (those thinking end at once, unfinished).\n";

static int die_usage(const char *why, const char *arg)
{
	fprintf(stderr, "loadgen: %s%s%s\n%s", why, arg ? ": " : "", arg ? arg : "", usage);
	exit(2);
}

static double parse_double(const char *opt, const char *s, double min)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || !isfinite(v) || v < min)
		die_usage(opt, s);
	return v;
}

static long long parse_int(const char *opt, const char *s, long long min, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max)
		die_usage(opt, s);
	return v;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, 0, 's' }, { "port", required_argument, 0, 'p' },
		{ "wsesslog", required_argument, 0, 'w' }, { "rate", required_argument, 0, 'r' },
		{ "sessions", required_argument, 0, 'n' }, { "duration", required_argument, 0, 'd' },
		{ "timeout", required_argument, 0, 't' }, { "think", required_argument, 0, 'k' },
		{ "grace", required_argument, 0, 'g' }, { "start-at", required_argument, 0, 'a' },
		{ "json", required_argument, 0, 'j' }, { "csv", required_argument, 0, 'c' },
		{ "verify", required_argument, 0, 'v' }, { "max-fds", required_argument, 0, 'f' },
		{ "id", required_argument, 0, 'i' }, { "drain", no_argument, 0, 'D' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	*o = (struct options){ .port = 80, .timeout = 15, .grace = 2, .sessions = -1, .duration = -1, .id = "" };
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->server = optarg; break;
		case 'p': o->port = (int)parse_int("--port", optarg, 1, 65535); break;
		case 'w': o->wsesslog = optarg; break;
		case 'r': o->rate = parse_double("--rate", optarg, 0); break;
		case 'n': o->sessions = parse_int("--sessions", optarg, 1, 1LL << 40); break;
		case 'd': o->duration = parse_double("--duration", optarg, 0); break;
		case 't': o->timeout = parse_double("--timeout", optarg, 0.001); break;
		case 'k': o->think = parse_double("--think", optarg, 0); break;
		case 'g': o->grace = parse_double("--grace", optarg, 0); break;
		case 'a': o->start_at = parse_int("--start-at", optarg, 0, 1LL << 50); break;
		case 'j': o->json = optarg; break;
		case 'c': o->csv = optarg; break;
		case 'v': o->verify = optarg; break;
		case 'f': o->max_fds = parse_int("--max-fds", optarg, 8, 1 << 30); break;
		case 'i': o->id = optarg; break;
		case 'D': o->drain = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		default: die_usage("bad option", NULL);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument", argv[optind]);
	if (!o->server || !o->wsesslog)
		die_usage("--server and --wsesslog are required", NULL);
	if (!(o->rate > 0))
		die_usage("--rate must be > 0", NULL);
	if ((o->sessions > 0) == (o->duration >= 0))
		die_usage("give exactly one of --sessions and --duration", NULL);
	if (o->duration >= 0) {
		o->sessions = (long long)ceil(o->duration * o->rate - 1e-9);
		if (o->sessions < 1)
			die_usage("--duration x --rate must make at least one session", NULL);
	}
}

/* Raises the descriptor limit to the hard limit (or lowers it to --max-fds): sockets beyond it are fd-unavail. */
static void set_fd_limit(long long max_fds)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("loadgen: getrlimit(RLIMIT_NOFILE)");
		exit(1);
	}
	rlim_t want = rl.rlim_max;
	if (max_fds > 0) {
		if ((rlim_t)max_fds > rl.rlim_max)
			fprintf(stderr, "loadgen: --max-fds %lld above the hard limit %llu; using the hard limit\n", max_fds,
				(unsigned long long)rl.rlim_max);
		else
			want = (rlim_t)max_fds;
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("loadgen: setrlimit(RLIMIT_NOFILE)");
		exit(1);
	}
}

static void resolve(const char *host, int port, struct sockaddr_in *out)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
	int rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "loadgen: getaddrinfo(%s): %s\n", host, gai_strerror(rc));
		exit(1);
	}
	memcpy(out, ai->ai_addr, sizeof *out);
	out->sin_port = htons((uint16_t)port);
	freeaddrinfo(ai);
}

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "loadgen: fopen(%s): %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

int main(int argc, char **argv)
{
	struct options o;
	parse_args(argc, argv, &o);

	char err[512];
	struct sl_log log;
	if (sl_parse(o.wsesslog, o.think, &log, err, sizeof err) < 0) {
		fprintf(stderr, "loadgen: %s\n", err);
		return 1;
	}
	struct mf_manifest manifest;
	if (o.verify && mf_load(o.verify, &manifest, err, sizeof err) < 0) {
		fprintf(stderr, "loadgen: %s\n", err);
		return 1;
	}
	struct lg_config cfg = {
		.host = o.server, .log = &log, .rate = o.rate, .sessions = (uint64_t)o.sessions,
		.timeout_s = o.timeout, .grace_s = o.grace, .drain = o.drain, .start_at_ms = o.start_at,
		.verify = o.verify ? &manifest : NULL,
	};
	resolve(o.server, o.port, &cfg.addr);
	set_fd_limit(o.max_fds);
	if (o.csv) {
		cfg.csv = open_out(o.csv);
		setvbuf(cfg.csv, NULL, _IOFBF, 1 << 20);
		fputs("start_ms,session,uri,size_class,status,bytes,connect_ms,response_ms,transfer_ms,outcome\n", cfg.csv);
	}
	FILE *json = o.json ? open_out(o.json) : NULL;

	printf("loadgen");
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	fflush(stdout);

	struct lg_result *res = malloc(sizeof *res);
	if (!res || lg_run(&cfg, res) < 0)
		return 1;
	struct rep_run run = { .id = o.id, .server = o.server, .port = o.port, .rate = o.rate, .res = res };
	rep_text(stdout, &run);
	int rc = 0;
	if (json) {
		rep_json(json, &run);
		if (fclose(json) != 0) {
			perror("loadgen: writing --json");
			rc = 1;
		}
	}
	if (cfg.csv && fclose(cfg.csv) != 0) {
		perror("loadgen: writing --csv");
		rc = 1;
	}
	free(res);
	if (o.verify)
		mf_free(&manifest);
	sl_free(&log);
	return rc;
}
