/* Parser for httperf --wsesslog session files: sessions of bursts of requests, with per-burst think times. */
#ifndef SESSLOG_H
#define SESSLOG_H

#include <stddef.h>
#include <stdint.h>

struct sl_request {
	char *uri;        /* as written in the log, e.g. "/dir00001/class1_3" */
	const char *method; /* static string: GET, HEAD, ... */
	int is_head;      /* a HEAD reply carries no body whatever its Content-Length says */
};

/* A burst is requests[first .. first+count); its think time is the pause after its last reply (httperf's rule). */
struct sl_burst {
	uint32_t first;
	uint32_t count;
	double think_s;
};

struct sl_session {
	uint32_t first_burst;
	uint32_t nbursts;
	uint32_t first_req;
	uint32_t nreqs;
};

struct sl_log {
	struct sl_request *reqs;
	size_t nreqs;
	struct sl_burst *bursts;
	size_t nbursts;
	struct sl_session *sessions;
	size_t nsessions;
};

/* Reads `path`; bursts without think= get `default_think_s`. On error returns -1 with "file:line: why" in err. */
int sl_parse(const char *path, double default_think_s, struct sl_log *log, char *err, size_t errlen);
void sl_free(struct sl_log *log);

#endif
