/* Unit tests of the load generator's pure modules: reply parser, timer wheel, histogram, session-log parser. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "engine.h"
#include "reply.h"
#include "sesslog.h"
#include "stats.h"
#include "timer.h"

static int failures;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                       \
		}                                                                         \
	} while (0)

/* Feeds `text` in chunks of `chunk` bytes; returns the number of complete replies, -1 on a parse error. */
static int feed(const char *text, size_t chunk, int is_head, struct hr_parser *last)
{
	struct hr_parser p;
	hr_start(&p, is_head, 1);
	size_t len = strlen(text), off = 0;
	int done = 0;
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk, used;
		enum hr_result r = hr_feed(&p, text + off, n, &used);
		if (r == HR_ERROR)
			return -1;
		off += used;
		if (r == HR_DONE) {
			done++;
			*last = p;
			hr_start(&p, is_head, 1);
		}
	}
	if (hr_eof(&p) == HR_DONE) {
		done++;
		*last = p;
	}
	return done;
}

static void test_reply(void)
{
	struct hr_parser p;
	const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Long-Header-Name-Beyond-The-Buffer: 1\r\n\r\nhello"
			  "HTTP/1.1 404 Not Found\r\ncontent-length:3\r\n\r\nno!";
	for (size_t chunk = 1; chunk <= strlen(two); chunk++) {
		CHECK(feed(two, chunk, 0, &p) == 2);
		CHECK(p.status == 404 && p.body_bytes == 3 && p.keep_alive);
	}
	CHECK(feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 3, 0, &p) == 1);
	CHECK(p.crc == (uint32_t)crc32(0, (const Bytef *)"hello", 5));
	CHECK(p.header_bytes == strlen("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"));
	/* Connection handling: 1.1 keeps unless close; 1.0 closes unless keep-alive. */
	CHECK(feed("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n", 7, 0, &p) == 1 && !p.keep_alive);
	CHECK(feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 7, 0, &p) == 1 && !p.keep_alive);
	CHECK(feed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 7, 0, &p) == 1 && p.keep_alive);
	/* Body delimited by the close; HEAD has no body; bare LF accepted. */
	CHECK(feed("HTTP/1.1 200 OK\r\n\r\nuntil close", 4, 0, &p) == 1 && p.body_bytes == 11 && !p.keep_alive);
	CHECK(feed("HTTP/1.1 200 OK\nContent-Length: 100\n\n", 5, 1, &p) == 1 && p.body_bytes == 0);
	CHECK(feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", 5, 0, &p) == 1);
	/* Malformed replies. */
	CHECK(feed("HELLO\r\n\r\n", 1, 0, &p) == -1);
	CHECK(feed("HTTP/1.1 2x0 OK\r\n\r\n", 1, 0, &p) == -1);
	CHECK(feed("HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n", 1, 0, &p) == -1);
	CHECK(feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 1, 0, &p) == -1);
	CHECK(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 1, 0, &p) == -1);
	CHECK(feed("HTTP/1.1 200 OK\r\n bad\r\n\r\n", 1, 0, &p) == -1);
	/* A close in the middle of a reply is an error, before any byte it is not. */
	struct hr_parser q;
	hr_start(&q, 0, 0);
	CHECK(hr_eof(&q) == HR_MORE);
	size_t used;
	CHECK(hr_feed(&q, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 42, &used) == HR_MORE);
	CHECK(hr_eof(&q) == HR_ERROR);
	/* The rest of a body may be skipped unread, unless its CRC is wanted; never more than the body. */
	hr_start(&q, 0, 0);
	CHECK(hr_skippable(&q) == 0); /* still in the header */
	CHECK(hr_feed(&q, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 41, &used) == HR_MORE);
	CHECK(hr_skippable(&q) == 6);
	CHECK(hr_skip(&q, 4) == HR_MORE && hr_skippable(&q) == 2);
	CHECK(hr_skip(&q, 2) == HR_DONE && q.body_bytes == 9 && hr_skippable(&q) == 0);
	hr_start(&q, 0, 1);
	CHECK(hr_feed(&q, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 41, &used) == HR_MORE);
	CHECK(hr_skippable(&q) == 0);
}

/* Random bytes in random chunks, and mutations of a valid reply: the parser must never misbehave (ASan watches). */
static void test_reply_random(void)
{
	const char *valid = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nbody";
	char buf[256];
	srand(42);
	for (int iter = 0; iter < 200000; iter++) {
		size_t len = (size_t)(rand() % (int)sizeof buf);
		if (iter % 2) {
			len = strlen(valid);
			memcpy(buf, valid, len);
			for (int m = rand() % 4; m >= 0; m--)
				buf[rand() % (int)len] = (char)(rand() % 256);
		} else {
			for (size_t i = 0; i < len; i++)
				buf[i] = (char)(rand() % 256);
		}
		struct hr_parser p;
		hr_start(&p, rand() % 2, 1);
		size_t off = 0;
		while (off < len) {
			size_t n = 1 + (size_t)(rand() % 16), used = 0;
			if (n > len - off)
				n = len - off;
			enum hr_result r = hr_feed(&p, buf + off, n, &used);
			CHECK(used <= n);
			off += used;
			if (r == HR_ERROR)
				break;
			if (r == HR_DONE)
				hr_start(&p, 0, 1);
		}
		hr_eof(&p);
	}
}

static int fired[16];
static uint64_t fired_at[16];
static struct tw_timer timers[16];

static void on_fire(struct tw_timer *t, uint64_t now_ms)
{
	int i = (int)(t - timers);
	fired[i]++;
	fired_at[i] = now_ms;
}

static int many_fired;
static uint64_t many_late;

static void on_fire_many(struct tw_timer *t, uint64_t now_ms)
{
	many_fired++;
	if (now_ms < t->expires_ms)
		many_late = UINT64_MAX; /* fired early: recorded as a failure below */
}

static void test_timer(void)
{
	static struct tw_wheel w;
	tw_init(&w, 1000);
	for (int i = 0; i < 16; i++)
		timers[i].fire = on_fire;
	tw_add(&w, &timers[0], 1005);
	tw_add(&w, &timers[1], 1000 + TW_SLOTS + 5);  /* same slot, next rotation */
	tw_add(&w, &timers[2], 1000 + 3 * TW_SLOTS); /* several rotations */
	tw_add(&w, &timers[3], 1010);
	tw_cancel(&w, &timers[3]);
	tw_add(&w, &timers[4], 900); /* in the past: next tick */
	CHECK(tw_next(&w) == 1001);
	tw_advance(&w, 1004);
	CHECK(fired[4] == 1 && fired[0] == 0);
	CHECK(tw_next(&w) == 1005);
	tw_advance(&w, 1005);
	CHECK(fired[0] == 1 && fired_at[0] == 1005 && fired[1] == 0);
	tw_advance(&w, 1000 + TW_SLOTS + 4);
	CHECK(fired[1] == 0);
	tw_advance(&w, 1000 + TW_SLOTS + 5);
	CHECK(fired[1] == 1 && fired[3] == 0);
	/* A long stall: everything due fires once, nothing early. */
	tw_advance(&w, 1000 + 3 * TW_SLOTS - 1);
	CHECK(fired[2] == 0);
	tw_advance(&w, 1000 + 10 * TW_SLOTS);
	CHECK(fired[2] == 1 && w.armed == 0 && tw_next(&w) == UINT64_MAX);
	/* Many timers: each fires exactly once, at or after its time. */
	static struct tw_timer many[20000];
	uint64_t base = w.now_ms;
	for (int i = 0; i < 20000; i++) {
		many[i].fire = on_fire_many;
		tw_add(&w, &many[i], base + 1 + (uint64_t)(i * 7919) % 30000);
	}
	CHECK(w.armed == 20000);
	for (uint64_t t = base; w.armed > 0 && t < base + 40000; t += 13)
		tw_advance(&w, t);
	CHECK(w.armed == 0 && many_fired == 20000 && many_late == 0);
}

static void test_hist(void)
{
	static struct st_hist h;
	memset(&h, 0, sizeof h);
	for (uint64_t v = 1; v <= 100000; v++)
		st_hist_add(&h, v);
	CHECK(fabs(st_hist_mean(&h) - 50000.5) < 1e-6);
	CHECK(fabs(st_hist_quantile(&h, 0.5) - 50000) / 50000 < 0.01);
	CHECK(fabs(st_hist_quantile(&h, 0.99) - 99000) / 99000 < 0.01);
	CHECK(st_hist_quantile(&h, 1.0) <= 100000 && h.max == 100000);
	memset(&h, 0, sizeof h);
	st_hist_add(&h, 0);
	st_hist_add(&h, UINT64_MAX / 2);
	CHECK(st_hist_quantile(&h, 0.5) == 0);
	struct st_rate r = { 0 };
	st_rate_add(&r, 2);
	st_rate_add(&r, 4);
	st_rate_add(&r, 6);
	CHECK(r.min == 2 && r.max == 6 && st_rate_avg(&r) == 4 && fabs(st_rate_stddev(&r) - 2) < 1e-9);
}

static int parse_text(const char *text, struct sl_log *log, char *err, size_t errlen)
{
	char path[] = "/tmp/loadgen-unit-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	int rc = sl_parse(path, 0.5, log, err, errlen);
	unlink(path);
	return rc;
}

static void test_sesslog(void)
{
	struct sl_log log;
	char err[256];
	const char *text = "# comment\n"
			   "/a think=2.0\n"
			   "\t/b\n"
			   "    /c method=HEAD\n"
			   "/d\n"
			   "\n\n\n"
			   "  /e\n"
			   "/f think=0\n";
	CHECK(parse_text(text, &log, err, sizeof err) == 0);
	CHECK(log.nsessions == 2 && log.nbursts == 4 && log.nreqs == 6);
	CHECK(log.sessions[0].nbursts == 2 && log.sessions[0].nreqs == 4);
	CHECK(log.bursts[0].count == 3 && log.bursts[0].think_s == 2.0);
	CHECK(log.bursts[1].count == 1 && log.bursts[1].think_s == 0.5); /* the default think time */
	CHECK(log.reqs[2].is_head && strcmp(log.reqs[2].method, "HEAD") == 0);
	CHECK(log.sessions[1].nbursts == 2 && log.bursts[3].think_s == 0);
	sl_free(&log);
	const char *bad[] = { "/a think=x\n", "/a think=-1\n", "/a method=FETCH\n", "/a foo=1\n", "/a contents='x'\n",
			      "nope\n", "# only a comment\n", "/ok\n\n/a think=1e999\n" };
	const char *line[] = { ":1:", ":1:", ":1:", ":1:", ":1:", ":1:", ":1:", ":3:" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(parse_text(bad[i], &log, err, sizeof err) == -1);
		CHECK(strstr(err, line[i]) != NULL);
	}
	CHECK(lg_file_index("/dir00001/class3_8") == 35 && lg_file_index("/x/class0_0") == 0);
	CHECK(lg_file_index("/dir00001/class4_0") == -1 && lg_file_index("/class1_9") == -1);
}

int main(void)
{
	test_reply();
	test_reply_random();
	test_timer();
	test_hist();
	test_sesslog();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("all unit checks passed\n");
	return 0;
}
