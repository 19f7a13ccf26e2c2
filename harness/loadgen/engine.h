/* The load generator's engine: replays session templates against one server with epoll and a timer wheel. */
#ifndef ENGINE_H
#define ENGINE_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>

#include "manifest.h"
#include "sesslog.h"
#include "stats.h"

#define LG_FILES 36 /* SPECweb99 classC_F: 4 classes x 9 files */

struct lg_config {
	struct sockaddr_in addr;
	const char *host;                  /* Host header */
	const struct sl_log *log;
	double rate;                       /* sessions started per second */
	uint64_t sessions;                 /* sessions to start, templates used round-robin */
	double timeout_s;                  /* per-request timeout: fails the session (client-timo) */
	double grace_s;                    /* the run ends at start + sessions/rate + timeout + grace at the latest */
	int drain;                         /* once the last session has started, sessions send no further burst */
	int64_t start_at_ms;               /* UNIX ms at which session 0 is due; 0 = now */
	FILE *csv;                         /* one row per request, or NULL */
	const struct mf_manifest *verify;  /* check bodies against it, or NULL */
};

/* httperf's error classes; each failed session counts exactly one. */
struct lg_errors {
	uint64_t client_timo, socket_timo, connrefused, connreset, fd_unavail, addrunavail, ftab_full, other;
};

struct lg_file_stats {
	uint64_t requests, replies, timeouts, bytes;
};

struct lg_result {
	uint64_t sessions_started, sessions_completed, sessions_failed, sessions_unfinished;
	uint64_t conns_opened, conns_max;           /* connections attempted; most open at once */
	uint64_t requests;                          /* requests completely written */
	uint64_t replies;                           /* replies completely received (any status) */
	uint64_t unfinished_requests;               /* issued but unanswered when the deadline came */
	uint64_t req_bytes, hdr_bytes, body_bytes;
	uint64_t status[6];                         /* by first digit; [0] unused */
	struct lg_errors err;
	uint64_t connects;                          /* successful connects */
	double connect_sum_s;
	double response_sum_s, transfer_sum_s;      /* httperf: send start -> first reply byte -> last byte */
	double paper_response_sum_s;                /* sum of reply times + connect time of each conn with replies */
	struct st_hist reply_us;                    /* send start -> last reply byte, per reply */
	struct st_hist lateness_us;                 /* session start vs its schedule */
	struct st_hist session_life_us, session_fail_us;
	uint64_t conns_of_completed;                /* connections used by completed sessions */
	struct st_rate reply_rate, session_rate;    /* per 5 s sample */
	struct lg_file_stats by_file[LG_FILES];
	uint64_t verify_checked, verify_mismatches, verify_errors; /* mismatches: 200 with wrong bytes; errors: not 200 */
	double start_unix_ms;                       /* wall clock of the first scheduled start */
	double duration_s;                          /* first scheduled start -> end of run */
	double user_s, sys_s;                       /* CPU of this process during the run */
	int interrupted;                            /* stopped by SIGINT/SIGTERM */
};

/* Runs the experiment; returns -1 only when it could not start (reason on stderr). */
int lg_run(const struct lg_config *cfg, struct lg_result *res);

/* "classC_F" index 0..35 of a SPECweb99 URI's last path segment, or -1. */
int lg_file_index(const char *uri);

#endif
