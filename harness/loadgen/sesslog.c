/* Parser for httperf --wsesslog session files: sessions of bursts of requests, with per-burst think times.
 *
 * The format, as httperf reads it: '#' in column 0 starts a comment; a line of only whitespace ends a session;
 * any other line names one URI; a URI in column 0 starts a new burst, an indented one joins the current burst.
 * Options after the URI: think=SECONDS (the pause after this burst), method=NAME. Unlike httperf, anything it
 * would silently misread is an error with file and line. */
#define _GNU_SOURCE
#include "sesslog.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sl_methods[] = { "GET", "HEAD", "DELETE", "OPTIONS", "POST", "PUT", "TRACE" };

/* Appends one zeroed element to a growing array; returns it, or NULL when out of memory. */
static void *sl_push(void **arr, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		void *p = realloc(*arr, ncap * size);
		if (!p)
			return NULL;
		*arr = p;
		*cap = ncap;
	}
	void *e = (char *)*arr + (*n)++ * size;
	memset(e, 0, size);
	return e;
}

static int sl_fail(char *err, size_t errlen, const char *path, long line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%ld: %s", path, line, msg);
	return -1;
}

/* Applies one key=value option of a request line to the request and its burst. */
static int sl_option(const char *tok, struct sl_request *req, struct sl_burst *burst, char *why, size_t whylen)
{
	if (strncmp(tok, "think=", 6) == 0) {
		char *end;
		errno = 0;
		double v = strtod(tok + 6, &end);
		if (tok[6] == '\0' || *end != '\0' || errno || !isfinite(v) || v < 0) {
			snprintf(why, whylen, "bad think time '%s' (want seconds >= 0)", tok + 6);
			return -1;
		}
		burst->think_s = v;
		return 0;
	}
	if (strncmp(tok, "method=", 7) == 0) {
		for (size_t i = 0; i < sizeof sl_methods / sizeof sl_methods[0]; i++) {
			if (strcmp(tok + 7, sl_methods[i]) == 0) {
				req->method = sl_methods[i];
				req->is_head = strcmp(sl_methods[i], "HEAD") == 0;
				return 0;
			}
		}
		snprintf(why, whylen, "unknown method '%s'", tok + 7);
		return -1;
	}
	if (strncmp(tok, "contents=", 9) == 0) {
		snprintf(why, whylen, "contents= (request bodies) is not supported");
		return -1;
	}
	snprintf(why, whylen, "unknown argument '%s'", tok);
	return -1;
}

static int sl_uri_ok(const char *uri)
{
	if (uri[0] != '/')
		return 0;
	for (const unsigned char *p = (const unsigned char *)uri; *p; p++)
		if (*p < 0x21 || *p == 0x7f)
			return 0;
	return 1;
}

int sl_parse(const char *path, double default_think_s, struct sl_log *log, char *err, size_t errlen)
{
	memset(log, 0, sizeof *log);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: fopen: %s", path, strerror(errno));
		return -1;
	}
	size_t rcap = 0, bcap = 0, scap = 0;
	char *line = NULL;
	size_t linecap = 0;
	long lineno = 0;
	int in_session = 0, rc = -1;
	ssize_t len;
	while ((len = getline(&line, &linecap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strlen(line) != (size_t)len) {
			sl_fail(err, errlen, path, lineno, "NUL byte in line");
			goto out;
		}
		if (line[0] == '#')
			continue;
		char *save = NULL;
		char *tok = strtok_r(line, " \t", &save);
		if (!tok) {
			in_session = 0; /* a blank line ends the session; repeated blank lines make no empty sessions */
			continue;
		}
		if (!sl_uri_ok(tok)) {
			sl_fail(err, errlen, path, lineno, "bad URI '%.100s' (want an absolute path without control characters)", tok);
			goto out;
		}
		if (log->nreqs >= UINT32_MAX - 1) {
			sl_fail(err, errlen, path, lineno, "too many requests");
			goto out;
		}
		int new_burst = !in_session || (line[0] != ' ' && line[0] != '\t');
		if (!in_session) {
			struct sl_session *s = sl_push((void **)&log->sessions, &log->nsessions, &scap, sizeof *s);
			if (!s)
				goto oom;
			s->first_burst = (uint32_t)log->nbursts;
			s->first_req = (uint32_t)log->nreqs;
			in_session = 1;
		}
		struct sl_session *sess = &log->sessions[log->nsessions - 1];
		if (new_burst) {
			struct sl_burst *b = sl_push((void **)&log->bursts, &log->nbursts, &bcap, sizeof *b);
			if (!b)
				goto oom;
			b->first = (uint32_t)log->nreqs;
			b->think_s = default_think_s;
			sess->nbursts++;
		}
		struct sl_burst *burst = &log->bursts[log->nbursts - 1];
		struct sl_request *req = sl_push((void **)&log->reqs, &log->nreqs, &rcap, sizeof *req);
		if (!req)
			goto oom;
		req->uri = strdup(tok);
		if (!req->uri)
			goto oom;
		req->method = "GET";
		burst->count++;
		sess->nreqs++;
		while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
			char why[160];
			if (sl_option(tok, req, burst, why, sizeof why) < 0) {
				sl_fail(err, errlen, path, lineno, "%s", why);
				goto out;
			}
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
		goto out;
	}
	if (log->nsessions == 0) {
		sl_fail(err, errlen, path, lineno, "no sessions in file");
		goto out;
	}
	rc = 0;
	goto out;
oom:
	sl_fail(err, errlen, path, lineno, "out of memory");
out:
	free(line);
	fclose(f);
	if (rc < 0)
		sl_free(log);
	return rc;
}

void sl_free(struct sl_log *log)
{
	for (size_t i = 0; i < log->nreqs; i++)
		free(log->reqs[i].uri);
	free(log->reqs);
	free(log->bursts);
	free(log->sessions);
	memset(log, 0, sizeof *log);
}
