/* Knot's connection threads: each loops accept → read a request → reply → … → close, written as straight-line
 * blocking code over State Threads' socket calls and the runtime's disk and sendfile wrappers (paper §4.2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "content.h"
#include "http.h"
#include "knot.h"
#include "net.h"
#include "reply.h"
#include "runtime/rt.h"

#define CONN_BUF 2048 /* request bytes read at once; the parser keeps what it needs, so longer heads are fine */

/* One thread's connection state. Kept in a global array rather than on the thread's stack so that stacks stay
 * small and so that LeakSanitizer, which does not scan State Threads' stacks, sees every pointer. */
struct conn {
    st_netfd_t sock;
    struct http_parser_state parser;
    struct reply reply;
    struct content *body; /* knot-c: the reply's pinned file contents */
    size_t len;           /* bytes in buf not yet parsed */
    char buf[CONN_BUF];
};

/* Defined here, with the threads that use it most, so that main.c depends on conn.c and not the other way too. */
struct knot knot;

static struct conn *conns;

/* accept's errors that persist until descriptors or memory are freed (others, e.g. a connection reset while it
 * waited in the listen queue, concern only that connection). */
static int out_of_resources(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* Waits for the next connection, favouring existing ones (the paper's Knot-C accept configuration, §7). Idle
 * threads queue on the accept gate, so only one of them at a time is in the poll set for the listening socket.
 * Before the first accept of a scheduler round, the gate holder yields: every thread made runnable by the last
 * poll — those with requests ready on open connections — runs before new connections are taken. Later gate
 * holders of the same round accept at once, so the listen queue still drains in one round. */
static st_netfd_t accept_next(void)
{
    static uint64_t yielded_in_round = UINT64_MAX;
    st_netfd_t sock = NULL;
    st_mutex_lock(knot.accept_gate);
    while (!sock) {
        if (rt_rounds() != yielded_in_round) {
            rt_yield();
            yielded_in_round = rt_rounds();
        }
        sock = st_accept(knot.listener, NULL, NULL, ST_UTIME_NO_TIMEOUT);
        if (!sock) {
            knot.accept_errors++;
            if (out_of_resources(errno)) {
                /* Retrying at once would spin: let open connections finish first. */
                if (knot.accept_starved++ == 0)
                    fprintf(stderr, "knot: accept: %s (counted in accept_starved from now on)\n", strerror(errno));
                st_usleep(10000);
            }
        }
    }
    st_mutex_unlock(knot.accept_gate);
    knot.stats.accepted++;
    return sock;
}

/* Reads until one request is parsed (or rejected: then c->parser.req.status is set). Returns 0 when the
 * connection ends instead: the client closed it, went idle too long, or the read failed. */
static int read_request(struct conn *c)
{
    http_parser_reset(&c->parser);
    for (;;) {
        if (c->len > 0) {
            size_t used;
            enum http_result r = http_parse(&c->parser, c->buf, c->len, &used);
            memmove(c->buf, c->buf + used, c->len - used);
            c->len -= used;
            if (r != HTTP_AGAIN)
                return 1;
        }
        ssize_t n = st_read(c->sock, c->buf + c->len, sizeof c->buf - c->len, knot.idle_timeout_us);
        if (n > 0) {
            c->len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == ETIME)
            knot.stats.timeouts_idle++;
        else if (n < 0)
            knot.stats.conn_errors++;
        return 0;
    }
}

/* The header in one buffer, sent with MSG_MORE when a body follows, so that a short reply leaves in one
 * segment. Returns 0, or -1 + errno. */
static int send_header(struct conn *c, int more)
{
    struct reply *r = &c->reply;
    char hdr[CACHE_HDR_MAX + HTTP_ERROR_REPLY_MAX];
    size_t len = r->hdr_len[0] + r->hdr_len[1];
    memcpy(hdr, r->hdr[0], r->hdr_len[0]);
    if (r->hdr_len[1]) /* error replies are whole in hdr[0] */
        memcpy(hdr + r->hdr_len[0], r->hdr[1], r->hdr_len[1]);
    for (size_t sent = 0; sent < len;) {
        struct iovec iov = { hdr + sent, len - sent };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        int n = st_sendmsg(c->sock, &msg, MSG_NOSIGNAL | (more ? MSG_MORE : 0), knot.idle_timeout_us);
        if (n < 0)
            return -1;
        sent += (size_t)n;
        knot.stats.bytes += (uint64_t)n;
    }
    return 0;
}

/* knot-nb and knot-b: the same loop for both, as in the paper; only the runtime's sendfile wrapper differs.
 * EAGAIN means the socket stayed full (knot-nb's worker polled one second); retry until the idle timeout. */
static int send_file(struct conn *c)
{
    struct reply *r = &c->reply;
    double last_progress = stats_now();
    while (r->body_off < r->body_end) {
        ssize_t n = rt_sendfile(c->sock, r->file.fd, &r->body_off, (size_t)(r->body_end - r->body_off));
        if (n > 0) {
            knot.stats.bytes += (uint64_t)n;
            last_progress = stats_now();
            continue;
        }
        if (n == 0) /* the file shrank under us */
            errno = EIO;
        else if (errno == EAGAIN && stats_now() - last_progress < knot.cfg.common.idle_timeout)
            continue;
        return -1;
    }
    return 0;
}

/* knot-c: header and file contents from the application-level cache, copied to the socket by writev on the
 * non-blocking path (State Threads waits in poll whenever the socket is full). */
static int send_copied(struct conn *c)
{
    struct reply *r = &c->reply;
    c->body = content_get(c->parser.req.path, c->parser.req.path_len, r->file.fd, (size_t)r->file.size);
    if (!c->body)
        return -1;
    struct iovec iov[3] = {
        { (char *)r->hdr[0], r->hdr_len[0] },
        { (char *)r->hdr[1], r->hdr_len[1] },
        { (char *)content_data(c->body), (size_t)r->body_end },
    };
    ssize_t n = st_writev(c->sock, iov, 3, knot.idle_timeout_us);
    content_release(c->body);
    c->body = NULL;
    if (n < 0)
        return -1;
    knot.stats.bytes += (uint64_t)n;
    return 0;
}

/* Sends the prepared reply. Returns 0, or -1 + errno when the connection must be dropped. */
static int send_reply(struct conn *c)
{
    struct reply *r = &c->reply;
    int has_body = r->body_off < r->body_end;
    int failed;
    if (has_body && knot.cfg.variant == KNOT_C)
        failed = send_copied(c);
    else
        failed = send_header(c, has_body) || (has_body && send_file(c));
    if (failed)
        return -1;
    knot.stats.replies++;
    return 0;
}

/* Serves one connection to completion: requests are read and answered one at a time, in order. */
static void serve(struct conn *c)
{
    c->len = 0;
    for (;;) {
        if (!read_request(c))
            return;
        reply_prepare(&c->reply, knot.cache, &c->parser.req, 1, &knot.stats);
        int failed = send_reply(c);
        reply_finish(&c->reply, knot.cache);
        if (failed) {
            if (errno == ETIME || errno == EAGAIN)
                knot.stats.timeouts_idle++;
            else
                knot.stats.conn_errors++;
            return;
        }
        if (!reply_keep_open(&c->reply, st_netfd_fileno(c->sock)))
            return;
    }
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    for (;;) {
        c->sock = accept_next();
        /* knot-b's worker sends on a blocking socket: the idle timeout bounds how long a stalled client holds it */
        if (knot.cfg.variant == KNOT_B && net_set_send_timeout(st_netfd_fileno(c->sock), knot.cfg.common.idle_timeout))
            fprintf(stderr, "knot: setsockopt(SO_SNDTIMEO): %s\n", strerror(errno));
        serve(c);
        st_netfd_close(c->sock);
        c->sock = NULL;
        knot.stats.closed++;
    }
    return NULL;
}

int conn_start_threads(void)
{
    conns = calloc((size_t)knot.cfg.threads, sizeof *conns);
    if (!conns)
        return -1;
    for (long i = 0; i < knot.cfg.threads; i++)
        if (!rt_thread_create(conn_main, &conns[i], (size_t)knot.cfg.stack_kb * 1024))
            return -1;
    return 0;
}
