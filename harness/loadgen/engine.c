/* The load generator's engine: replays session templates against one server with epoll and a timer wheel.
 *
 * httperf's --wsesslog semantics (gen/wsesslog.c, gen/session.c): sessions start at a fixed rate whatever the
 * server does (a partially-open loop); a session sends the first request of a burst, and once that reply is in,
 * the rest of the burst pipelined on the same persistent connection; after the burst's last reply it thinks for
 * the burst's think time, then starts the next burst. A request that makes no progress for `timeout` seconds
 * (connect, waiting for the reply, or receiving it) fails the session as client-timo; resets, refusals and
 * malformed replies fail it in their own class. A server that closes an idle connection (or announces
 * Connection: close) costs nothing: the next request opens a new connection, as a browser would.
 *
 * Every object an epoll event can point to (a connection) is freed only after the event batch, so a stale event
 * never touches freed memory. */
#define _GNU_SOURCE
#include "engine.h"

#include <errno.h>
#include <math.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "reply.h"
#include "timer.h"

#define LG_READ_BUF (256 * 1024)
#define LG_MAX_EVENTS 1024
#define LG_SAMPLE_S 5.0 /* httperf samples the reply rate every 5 s */

enum lg_class { E_CLIENT_TIMO, E_SOCKET_TIMO, E_CONNREFUSED, E_CONNRESET, E_FD_UNAVAIL, E_ADDRUNAVAIL,
		E_FTAB_FULL, E_OTHER };
static const char *const lg_class_name[] = { "client-timo", "socket-timo", "connrefused", "connreset",
					     "fd-unavail", "addrunavail", "ftab-full", "other" };

/* A template request, ready to write. */
struct lg_req {
	char *wire;
	uint32_t wire_len;
	int is_head;
	int file;                      /* by_file index or -1 */
	const struct mf_entry *mf;     /* manifest entry when verifying, or NULL */
	const char *uri;
	char *csv_fields;              /* "uri,size_class" for --csv rows, or NULL */
};

struct lg_session;

struct lg_conn {
	int fd;
	int connecting, want_out, closed;
	struct lg_session *s;
	double connect_start, connect_s;
	uint32_t replies;
	uint32_t first_req;            /* session request index of the first request sent on it */
	struct hr_parser parser;
	struct lg_conn *next_free;
};

struct lg_reqstate {
	double start, first;           /* send start, first reply byte (monotonic s; 0 = not yet) */
	uint64_t bytes;                /* reply bytes received so far */
};

struct lg_session {
	struct tw_timer timer;         /* first member: the timer callback casts back to the session */
	int timer_is_think;
	struct lg *g;
	const struct sl_session *tmpl;
	uint64_t id;
	struct lg_conn *conn;          /* NULL between connections */
	uint32_t burst;                /* index of the current burst within the session */
	uint32_t issued;               /* requests [0, issued) may be sent */
	uint32_t sent;                 /* requests [0, sent) are completely written */
	uint32_t send_off;             /* bytes of request `sent` already written */
	uint32_t replied;              /* requests [0, replied) have their reply */
	uint32_t conns;                /* connections this user session opened */
	double start;
	double watch_from;             /* the last progress of the head request; timeout counts from here */
	struct lg_session *prev, *next; /* active list */
	struct lg_session *next_free;
	struct lg_reqstate rs[];       /* one per request of the session */
};

struct lg {
	const struct lg_config *cfg;
	struct lg_result *res;
	struct lg_req *reqs;
	int ep;
	struct tw_wheel wheel;
	char *buf;
	double t0;
	struct lg_session *active;      /* sessions in progress, a doubly linked list */
	uint64_t nactive, open_conns;
	struct lg_conn *free_conns;     /* closed during this event batch */
	struct lg_session *free_sessions;
	char *csv_row;                  /* room for the longest --csv row */
	uint64_t interval_replies, interval_sessions;
	int draining;                   /* --drain, and every session has started */
};

static volatile sig_atomic_t lg_stop;

static void lg_on_signal(int sig)
{
	(void)sig;
	lg_stop = 1;
}

static double lg_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t lg_ms(double t)
{
	return (uint64_t)(t * 1000.0);
}

/* The first wheel tick at or after t, so that no timer fires early. */
static uint64_t lg_tick(double t)
{
	return (uint64_t)ceil(t * 1000.0);
}

int lg_file_index(const char *uri)
{
	const char *seg = strrchr(uri, '/');
	seg = seg ? seg + 1 : uri;
	if (strlen(seg) != 8 || strncmp(seg, "class", 5) != 0 || seg[6] != '_')
		return -1;
	if (seg[5] < '0' || seg[5] > '3' || seg[7] < '0' || seg[7] > '8')
		return -1;
	return (seg[5] - '0') * 9 + (seg[7] - '0');
}

static enum lg_class lg_classify(int err)
{
	switch (err) {
	case ETIMEDOUT: return E_SOCKET_TIMO;
	case ECONNREFUSED: return E_CONNREFUSED;
	case ECONNRESET: case EPIPE: return E_CONNRESET;
	case EMFILE: return E_FD_UNAVAIL;
	case EADDRNOTAVAIL: return E_ADDRUNAVAIL;
	case ENFILE: return E_FTAB_FULL;
	default: return E_OTHER;
	}
}

static void lg_count_error(struct lg_result *r, enum lg_class c)
{
	uint64_t *slot[] = { &r->err.client_timo, &r->err.socket_timo, &r->err.connrefused, &r->err.connreset,
			     &r->err.fd_unavail, &r->err.addrunavail, &r->err.ftab_full, &r->err.other };
	(*slot[c])++;
}

static const struct lg_req *lg_req_of(struct lg *g, const struct lg_session *s, uint32_t k)
{
	return &g->reqs[s->tmpl->first_req + k];
}

static const struct sl_burst *lg_burst_of(struct lg *g, const struct lg_session *s)
{
	return &g->cfg->log->bursts[s->tmpl->first_burst + s->burst];
}

/* Session-relative index of the first request of the current burst. */
static uint32_t lg_burst_first(struct lg *g, const struct lg_session *s)
{
	return lg_burst_of(g, s)->first - s->tmpl->first_req;
}

/* The request's CSV fields "uri,size_class", quoted as CSV needs, built once per template request. */
static char *lg_csv_fields(const char *uri, int file)
{
	size_t n = strlen(uri);
	char *out = malloc(2 * n + 16), *o = out;
	if (!out)
		return NULL;
	int quote = strpbrk(uri, ",\"") != NULL;
	if (quote)
		*o++ = '"';
	for (const char *p = uri; *p; p++) {
		if (*p == '"')
			*o++ = '"';
		*o++ = *p;
	}
	if (quote)
		*o++ = '"';
	*o++ = ',';
	if (file >= 0)
		o += sprintf(o, "class%d_%d", file / 9, file % 9);
	*o = '\0';
	return out;
}

static char *lg_put_u64(char *o, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0)
		*o++ = tmp[--n];
	return o;
}

/* Milliseconds with three decimals, as "%.3f" prints them (to the microsecond) but without printf's cost: the
 * client writes one row per request, and formatting floats was a tenth of its CPU at 10,000 requests/s. */
static char *lg_put_ms(char *o, double ms)
{
	long long us = llround(ms * 1e3);
	if (us < 0) {
		*o++ = '-';
		us = -us;
	}
	o = lg_put_u64(o, (uint64_t)us / 1000);
	*o++ = '.';
	*o++ = (char)('0' + us / 100 % 10);
	*o++ = (char)('0' + us / 10 % 10);
	*o++ = (char)('0' + us % 10);
	return o;
}

/* One CSV row for request k of s: times in ms, empty when the event never happened. */
static void lg_csv_row(struct lg *g, struct lg_session *s, uint32_t k, int status, double end, const char *outcome)
{
	FILE *f = g->cfg->csv;
	if (!f)
		return;
	const struct lg_req *rq = lg_req_of(g, s, k);
	const struct lg_reqstate *st = &s->rs[k];
	char *o = g->csv_row;
	if (st->start > 0)
		o = lg_put_ms(o, (st->start - g->t0) * 1e3);
	*o++ = ',';
	o = lg_put_u64(o, s->id);
	*o++ = ',';
	o = stpcpy(o, rq->csv_fields);
	*o++ = ',';
	o = lg_put_u64(o, (uint64_t)status); /* 0, or three digits parsed */
	*o++ = ',';
	o = lg_put_u64(o, st->bytes);
	*o++ = ',';
	if (s->conn && s->conn->first_req == k && s->conn->connect_s > 0)
		o = lg_put_ms(o, s->conn->connect_s * 1e3);
	else
		*o++ = '0';
	*o++ = ',';
	if (st->start > 0 && st->first > 0) {
		o = lg_put_ms(o, (st->first - st->start) * 1e3);
		*o++ = ',';
		o = lg_put_ms(o, (end - st->first) * 1e3);
	} else {
		*o++ = ',';
	}
	*o++ = ',';
	o = stpcpy(o, outcome);
	*o++ = '\n';
	fwrite(g->csv_row, 1, (size_t)(o - g->csv_row), f);
}

/* Readies the parser for the reply to request `replied`: no body after HEAD, a CRC only when it is checked. */
static void lg_expect_reply(struct lg *g, const struct lg_session *s, struct hr_parser *p)
{
	const struct lg_req *rq = lg_req_of(g, s, s->replied);
	hr_start(p, rq->is_head, rq->mf != NULL);
}

static void lg_close_conn(struct lg *g, struct lg_session *s)
{
	struct lg_conn *c = s->conn;
	if (!c)
		return;
	if (close(c->fd) < 0)
		perror("loadgen: close");
	c->closed = 1;
	c->next_free = g->free_conns;
	g->free_conns = c;
	s->conn = NULL;
	g->open_conns--;
}

/* Takes an ended session off the active list; it is freed after the event batch. */
static void lg_retire(struct lg *g, struct lg_session *s)
{
	tw_cancel(&g->wheel, &s->timer);
	lg_close_conn(g, s);
	if (s->prev)
		s->prev->next = s->next;
	else
		g->active = s->next;
	if (s->next)
		s->next->prev = s->prev;
	g->nactive--;
	s->next_free = g->free_sessions;
	g->free_sessions = s;
}

static void lg_session_done(struct lg *g, struct lg_session *s, double now)
{
	struct lg_result *r = g->res;
	r->sessions_completed++;
	r->conns_of_completed += s->conns;
	g->interval_sessions++;
	st_hist_add(&r->session_life_us, (uint64_t)((now - s->start) * 1e6));
	lg_retire(g, s);
}

/* A session fails with one error of class `cls`, charged to the request at the head of its pipeline. */
static void lg_session_fail(struct lg *g, struct lg_session *s, enum lg_class cls, double now)
{
	struct lg_result *r = g->res;
	r->sessions_failed++;
	lg_count_error(r, cls);
	st_hist_add(&r->session_fail_us, (uint64_t)((now - s->start) * 1e6));
	for (uint32_t k = s->replied; k < s->issued; k++) {
		const struct lg_req *rq = lg_req_of(g, s, k);
		if (k == s->replied && cls == E_CLIENT_TIMO && rq->file >= 0)
			r->by_file[rq->file].timeouts++;
		lg_csv_row(g, s, k, 0, now, k == s->replied ? lg_class_name[cls] : "aborted");
	}
	lg_retire(g, s);
}

/* The deadline came first: neither completed nor failed. */
static void lg_session_cut(struct lg *g, struct lg_session *s, double now)
{
	g->res->sessions_unfinished++;
	g->res->unfinished_requests += s->issued - s->replied;
	for (uint32_t k = s->replied; k < s->issued; k++)
		lg_csv_row(g, s, k, 0, now, "unfinished");
	lg_retire(g, s);
}

static void lg_set_events(struct lg *g, struct lg_conn *c, int want_out)
{
	if (c->want_out == want_out)
		return;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0), .data.ptr = c };
	if (epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		perror("loadgen: epoll_ctl(MOD)");
	c->want_out = want_out;
}

/* Writes the issued requests that are not on the wire yet, pipelined in one writev. */
static void lg_flush(struct lg *g, struct lg_session *s, double now)
{
	struct lg_conn *c = s->conn;
	if (!c || c->connecting)
		return;
	while (s->sent < s->issued) {
		struct iovec iov[64];
		int n = 0;
		for (uint32_t k = s->sent; k < s->issued && n < 64; k++, n++) {
			const struct lg_req *rq = lg_req_of(g, s, k);
			uint32_t off = k == s->sent ? s->send_off : 0;
			iov[n].iov_base = rq->wire + off;
			iov[n].iov_len = rq->wire_len - off;
			if (s->rs[k].start == 0)
				s->rs[k].start = now;
		}
		if (s->sent == s->replied && s->send_off == 0)
			s->watch_from = now;
		ssize_t w = writev(c->fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				lg_set_events(g, c, 1);
				return;
			}
			lg_session_fail(g, s, lg_classify(errno), now);
			return;
		}
		size_t left = (size_t)w;
		while (left > 0) {
			const struct lg_req *rq = lg_req_of(g, s, s->sent);
			size_t rest = rq->wire_len - s->send_off;
			if (left < rest) {
				s->send_off += (uint32_t)left;
				break;
			}
			left -= rest;
			s->send_off = 0;
			s->sent++;
			g->res->requests++;
			g->res->req_bytes += rq->wire_len;
		}
	}
	lg_set_events(g, c, 0);
}

static void lg_connected(struct lg *g, struct lg_session *s, double now)
{
	struct lg_conn *c = s->conn;
	c->connecting = 0;
	c->connect_s = now - c->connect_start;
	g->res->connects++;
	g->res->connect_sum_s += c->connect_s;
	s->watch_from = now;
	lg_flush(g, s, now);
}

/* Opens the session's connection (non-blocking connect); on failure the session fails and 0 is returned. */
static int lg_open_conn(struct lg *g, struct lg_session *s, double now)
{
	struct lg_result *r = g->res;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		lg_session_fail(g, s, lg_classify(errno), now);
		return 0;
	}
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		perror("loadgen: setsockopt(TCP_NODELAY)");
	struct lg_conn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		lg_session_fail(g, s, E_OTHER, now);
		return 0;
	}
	c->fd = fd;
	c->s = s;
	c->connect_start = now;
	c->first_req = s->replied;
	lg_expect_reply(g, s, &c->parser);
	s->conn = c;
	s->conns++;
	s->sent = s->replied; /* anything unanswered on an earlier connection is sent again */
	s->send_off = 0;
	for (uint32_t k = s->replied; k < s->issued; k++)
		memset(&s->rs[k], 0, sizeof s->rs[k]);
	s->watch_from = now;
	r->conns_opened++;
	if (++g->open_conns > r->conns_max)
		r->conns_max = g->open_conns;
	int rc = connect(fd, (const struct sockaddr *)&g->cfg->addr, sizeof g->cfg->addr);
	if (rc < 0 && errno != EINPROGRESS) {
		lg_session_fail(g, s, lg_classify(errno), now);
		return 0;
	}
	c->connecting = rc < 0;
	c->want_out = c->connecting;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (c->connecting ? EPOLLOUT : 0), .data.ptr = c };
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("loadgen: epoll_ctl(ADD)");
		lg_session_fail(g, s, E_OTHER, now);
		return 0;
	}
	if (!c->connecting)
		lg_connected(g, s, now);
	return 1;
}

/* Makes sure the issued requests are on their way: opens a connection or writes. */
static void lg_push(struct lg *g, struct lg_session *s, double now)
{
	if (!s->conn)
		lg_open_conn(g, s, now);
	else
		lg_flush(g, s, now);
}

static void lg_arm_watchdog(struct lg *g, struct lg_session *s, double now)
{
	s->watch_from = now;
	s->timer_is_think = 0;
	tw_add(&g->wheel, &s->timer, lg_tick(now + g->cfg->timeout_s));
}

/* Lets the session's requests up to `upto` go out; by_file counts a request once, however often it is sent. */
static void lg_issue(struct lg *g, struct lg_session *s, uint32_t upto)
{
	for (; s->issued < upto; s->issued++) {
		int file = lg_req_of(g, s, s->issued)->file;
		if (file >= 0)
			g->res->by_file[file].requests++;
	}
}

/* Issues the first request of the current burst. */
static void lg_start_burst(struct lg *g, struct lg_session *s, double now)
{
	lg_issue(g, s, lg_burst_first(g, s) + 1);
	lg_arm_watchdog(g, s, now);
	lg_push(g, s, now);
}

static void lg_on_timer(struct tw_timer *t, uint64_t now_ms)
{
	struct lg_session *s = (struct lg_session *)t;
	struct lg *g = s->g;
	double now = lg_now();
	if (s->timer_is_think) {
		s->burst++;
		lg_start_burst(g, s, now);
		return;
	}
	uint64_t due = lg_tick(s->watch_from + g->cfg->timeout_s);
	if (now_ms < due) {
		tw_add(&g->wheel, &s->timer, due); /* progress since it was armed: wait the rest */
		return;
	}
	lg_session_fail(g, s, E_CLIENT_TIMO, now);
}

/* After a reply: next request of the burst, think time, or the end of the session. */
static void lg_advance(struct lg *g, struct lg_session *s, double now)
{
	if (s->replied == s->tmpl->nreqs) {
		lg_session_done(g, s, now);
		return;
	}
	const struct sl_burst *b = lg_burst_of(g, s);
	uint32_t first = lg_burst_first(g, s), end = first + b->count;
	if (s->replied == end) {
		if (g->draining) {
			lg_session_cut(g, s, now);
			return;
		}
		if (b->think_s > 0) {
			s->timer_is_think = 1;
			tw_add(&g->wheel, &s->timer, lg_tick(now + b->think_s));
		} else {
			s->burst++;
			lg_start_burst(g, s, now);
		}
		return;
	}
	if (s->replied == first + 1 && s->issued < end)
		lg_issue(g, s, end); /* the first reply of a burst is in: the rest go out together */
	s->watch_from = now;
	lg_push(g, s, now);
}

static void lg_reply_done(struct lg *g, struct lg_session *s, double now)
{
	struct lg_result *r = g->res;
	struct lg_conn *c = s->conn;
	struct hr_parser *p = &c->parser;
	uint32_t k = s->replied;
	const struct lg_req *rq = lg_req_of(g, s, k);
	struct lg_reqstate *st = &s->rs[k];
	double reply_s = now - st->start;
	r->replies++;
	g->interval_replies++;
	r->status[p->status / 100 < 6 ? p->status / 100 : 0]++;
	r->hdr_bytes += p->header_bytes;
	r->body_bytes += p->body_bytes;
	r->response_sum_s += st->first - st->start;
	r->transfer_sum_s += now - st->first;
	st_hist_add(&r->reply_us, (uint64_t)(reply_s * 1e6));
	if (c->replies++ == 0)
		r->paper_response_sum_s += c->connect_s;
	r->paper_response_sum_s += reply_s;
	if (rq->file >= 0) {
		r->by_file[rq->file].replies++;
		r->by_file[rq->file].bytes += p->header_bytes + p->body_bytes;
	}
	if (rq->mf) {
		r->verify_checked++;
		if (p->status != 200)
			r->verify_errors++; /* the server declined: not the same finding as wrong bytes */
		else if (p->body_bytes != rq->mf->size || p->crc != rq->mf->crc32)
			r->verify_mismatches++;
	}
	lg_csv_row(g, s, k, p->status, now, "ok");
	s->replied++;
	int keep = p->keep_alive;
	if (s->replied < s->tmpl->nreqs)
		lg_expect_reply(g, s, p);
	if (!keep)
		lg_close_conn(g, s); /* requests already pipelined behind it are sent again on a new connection */
	lg_advance(g, s, now);
}

/* Feeds received bytes to the parser, reply after reply; stops when the connection or session ends. */
static void lg_received(struct lg *g, struct lg_session *s, const char *data, size_t len, double now)
{
	struct lg_conn *c = s->conn;
	while (len > 0 && s->conn == c) {
		if (s->replied == s->sent) {
			lg_session_fail(g, s, E_OTHER, now); /* bytes nobody asked for */
			return;
		}
		struct lg_reqstate *st = &s->rs[s->replied];
		if (!hr_started(&c->parser)) {
			st->first = now;
			s->watch_from = now;
		}
		size_t used = 0;
		uint64_t before = c->parser.header_bytes + c->parser.body_bytes;
		enum hr_result res = hr_feed(&c->parser, data, len, &used);
		st->bytes += c->parser.header_bytes + c->parser.body_bytes - before;
		data += used;
		len -= used;
		if (res == HR_ERROR) {
			lg_session_fail(g, s, E_OTHER, now);
			return;
		}
		if (res == HR_DONE)
			lg_reply_done(g, s, now);
	}
}

/* Body bytes discarded unread (recv with MSG_TRUNC), counted as lg_received counts bytes it parsed. */
static void lg_skipped(struct lg *g, struct lg_session *s, size_t n, double now)
{
	s->rs[s->replied].bytes += n;
	if (hr_skip(&s->conn->parser, n) == HR_DONE)
		lg_reply_done(g, s, now);
}

static void lg_readable(struct lg *g, struct lg_conn *c, double now)
{
	struct lg_session *s = c->s;
	for (int rounds = 0; rounds < 4 && s->conn == c; rounds++) {
		/* The rest of a body nobody checks is dropped in the kernel instead of copied here: copying replies is
		 * most of what a client spends per byte, and the clients share one core. */
		uint64_t skip = hr_skippable(&c->parser);
		size_t want = skip > 0 && skip < LG_READ_BUF ? (size_t)skip : LG_READ_BUF;
		ssize_t n = skip > 0 ? recv(c->fd, NULL, want, MSG_TRUNC | MSG_DONTWAIT) : read(c->fd, g->buf, want);
		if (n > 0) {
			if (skip > 0)
				lg_skipped(g, s, (size_t)n, now);
			else
				lg_received(g, s, g->buf, (size_t)n, now);
			if ((size_t)n < want)
				return; /* drained; level-triggered epoll reports more */
			continue;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				lg_session_fail(g, s, lg_classify(errno), now);
			return;
		}
		/* The server closed. */
		enum hr_result res = hr_eof(&c->parser);
		if (res == HR_DONE) {
			lg_reply_done(g, s, now); /* a body delimited by the close */
		} else if (s->replied == s->sent && res == HR_MORE) {
			lg_close_conn(g, s); /* idle connection closed by the server: reopen when needed */
			if (s->issued > s->replied)
				lg_push(g, s, now);
		} else {
			lg_session_fail(g, s, E_CONNRESET, now); /* closed with a request unanswered */
		}
		return;
	}
}

static void lg_event(struct lg *g, struct epoll_event *ev, double now)
{
	struct lg_conn *c = ev->data.ptr;
	if (c->closed)
		return;
	struct lg_session *s = c->s;
	if (c->connecting) {
		if (!(ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err)
			lg_session_fail(g, s, lg_classify(err), now);
		else
			lg_connected(g, s, now);
		return;
	}
	if (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))
		lg_readable(g, c, now);
	if (!c->closed && (ev->events & EPOLLOUT))
		lg_flush(g, s, now);
}

static void lg_start_session(struct lg *g, uint64_t i, double sched, double now)
{
	const struct sl_log *log = g->cfg->log;
	const struct sl_session *tmpl = &log->sessions[i % log->nsessions];
	struct lg_session *s = calloc(1, sizeof *s + tmpl->nreqs * sizeof s->rs[0]);
	g->res->sessions_started++;
	st_hist_add(&g->res->lateness_us, (uint64_t)((now - sched) * 1e6));
	if (!s) {
		g->res->sessions_failed++;
		lg_count_error(g->res, E_OTHER);
		return;
	}
	s->timer.fire = lg_on_timer;
	s->g = g;
	s->tmpl = tmpl;
	s->id = i;
	s->start = now;
	s->next = g->active;
	if (g->active)
		g->active->prev = s;
	g->active = s;
	g->nactive++;
	lg_start_burst(g, s, now);
}

static void lg_free_deferred(struct lg *g)
{
	while (g->free_conns) {
		struct lg_conn *c = g->free_conns;
		g->free_conns = c->next_free;
		free(c);
	}
	while (g->free_sessions) {
		struct lg_session *s = g->free_sessions;
		g->free_sessions = s->next_free;
		free(s);
	}
}

/* Builds each template request's bytes once: what httperf sends, with our own User-Agent. */
static int lg_prepare(struct lg *g)
{
	const struct sl_log *log = g->cfg->log;
	g->reqs = calloc(log->nreqs, sizeof *g->reqs);
	if (!g->reqs)
		return -1;
	size_t row = 0;
	for (size_t i = 0; i < log->nreqs; i++) {
		const struct sl_request *q = &log->reqs[i];
		struct lg_req *rq = &g->reqs[i];
		int n = asprintf(&rq->wire, "%s %s HTTP/1.1\r\nUser-Agent: loadgen\r\nHost: %s\r\n\r\n", q->method,
				 q->uri, g->cfg->host);
		if (n < 0)
			return -1;
		rq->wire_len = (uint32_t)n;
		rq->is_head = q->is_head;
		rq->file = lg_file_index(q->uri);
		rq->uri = q->uri;
		rq->mf = g->cfg->verify ? mf_find(g->cfg->verify, q->uri) : NULL;
		if (g->cfg->csv) {
			if (!(rq->csv_fields = lg_csv_fields(q->uri, rq->file)))
				return -1;
			size_t need = strlen(rq->csv_fields) + 256; /* numbers and the outcome: well under 256 bytes */
			if (need > row) {
				free(g->csv_row);
				if (!(g->csv_row = malloc(row = need)))
					return -1;
			}
		}
	}
	return 0;
}

static void lg_release(struct lg *g)
{
	if (g->reqs)
		for (size_t i = 0; i < g->cfg->log->nreqs; i++) {
			free(g->reqs[i].wire);
			free(g->reqs[i].csv_fields);
		}
	free(g->reqs);
	free(g->csv_row);
	free(g->buf);
	if (g->ep >= 0)
		close(g->ep);
}

/* Waits until the agreed wall-clock start; returns the monotonic time that corresponds to it. */
/* --drain: arrivals are over, so a measurement window has ended; sessions thinking between bursts end now
 * (unfinished), and the others when their burst is answered or times out (lg_advance). What ran in the window
 * is complete, and the run does not wait out long think times that no window would count. */
static void lg_start_drain(struct lg *g, double now)
{
	g->draining = 1;
	for (struct lg_session *s = g->active, *next; s; s = next) {
		next = s->next;
		if (s->timer_is_think)
			lg_session_cut(g, s, now);
	}
}

static double lg_wait_start(int64_t start_at_ms)
{
	if (start_at_ms <= 0)
		return lg_now();
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	double ahead = (double)start_at_ms / 1e3 - ((double)wall.tv_sec + (double)wall.tv_nsec * 1e-9);
	if (ahead < 0) {
		fprintf(stderr, "loadgen: --start-at is %.3f s in the past; sessions will start late\n", -ahead);
		return lg_now() + ahead;
	}
	struct timespec until = { .tv_sec = start_at_ms / 1000, .tv_nsec = (start_at_ms % 1000) * 1000000L };
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL) == EINTR && !lg_stop)
		;
	return lg_now();
}

static double lg_cpu(const struct rusage *ru, int sys)
{
	const struct timeval *tv = sys ? &ru->ru_stime : &ru->ru_utime;
	return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6;
}

int lg_run(const struct lg_config *cfg, struct lg_result *res)
{
	struct lg g = { .cfg = cfg, .res = res, .ep = -1 };
	memset(res, 0, sizeof *res);
	g.buf = malloc(LG_READ_BUF);
	g.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!g.buf || g.ep < 0 || lg_prepare(&g) < 0) {
		perror("loadgen: start-up (malloc/epoll_create1)");
		lg_release(&g);
		return -1;
	}
	struct sigaction sa = { .sa_handler = lg_on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	g.t0 = lg_wait_start(cfg->start_at_ms);
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	res->start_unix_ms = ((double)wall.tv_sec + (double)wall.tv_nsec * 1e-9 - (lg_now() - g.t0)) * 1e3;
	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	tw_init(&g.wheel, lg_ms(g.t0));
	double period = 1.0 / cfg->rate;
	double deadline = g.t0 + (double)cfg->sessions * period + cfg->timeout_s + cfg->grace_s;
	double next_sample = g.t0 + LG_SAMPLE_S;
	uint64_t next = 0;
	struct epoll_event evs[LG_MAX_EVENTS];
	double now = lg_now();
	while (!lg_stop) {
		/* Partially-open loop: every session due by now starts, however the earlier ones are doing. */
		for (double due; next < cfg->sessions && (due = g.t0 + (double)next * period) <= now; next++) {
			lg_start_session(&g, next, due, now);
			now = lg_now(); /* the next start's lateness includes the time this one took */
		}
		if (cfg->drain && !g.draining && next == cfg->sessions)
			lg_start_drain(&g, now);
		tw_advance(&g.wheel, lg_ms(now));
		while (now >= next_sample) {
			st_rate_add(&res->reply_rate, (double)g.interval_replies / LG_SAMPLE_S);
			st_rate_add(&res->session_rate, (double)g.interval_sessions / LG_SAMPLE_S);
			g.interval_replies = g.interval_sessions = 0;
			next_sample += LG_SAMPLE_S;
		}
		lg_free_deferred(&g);
		if ((next == cfg->sessions && g.nactive == 0) || now >= deadline)
			break;
		double wake = fmin(deadline, next_sample);
		if (next < cfg->sessions)
			wake = fmin(wake, g.t0 + (double)next * period);
		uint64_t tnext = tw_next(&g.wheel);
		if (tnext != UINT64_MAX)
			wake = fmin(wake, (double)tnext / 1e3);
		double wait = wake - now;
		struct timespec ts = { 0, 0 };
		if (wait > 0) {
			ts.tv_sec = (time_t)wait;
			ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
		}
		int n = epoll_pwait2(g.ep, evs, LG_MAX_EVENTS, &ts, NULL);
		if (n < 0 && errno != EINTR) {
			perror("loadgen: epoll_pwait2");
			break;
		}
		now = lg_now();
		for (int i = 0; i < n; i++)
			lg_event(&g, &evs[i], now);
	}
	res->interrupted = lg_stop != 0;
	now = lg_now();
	while (g.active)
		lg_session_cut(&g, g.active, now);
	lg_free_deferred(&g);
	getrusage(RUSAGE_SELF, &ru1);
	res->duration_s = now - g.t0;
	res->user_s = lg_cpu(&ru1, 0) - lg_cpu(&ru0, 0);
	res->sys_s = lg_cpu(&ru1, 1) - lg_cpu(&ru0, 1);
	lg_release(&g);
	return 0;
}
