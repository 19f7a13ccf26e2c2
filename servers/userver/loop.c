/* One userver serving process: an event loop over the listening socket and its connections (the SPED core of every
 * mode). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"
#include "http.h"
#include "net.h"
#include "reply.h"
#include "userver.h"

struct conn {
    int fd;
    int replying;               /* a reply is being written: wait for writable, not readable */
    double last_active;
    struct conn *idle_prev, *idle_next; /* list ordered by last_active, oldest first */
    size_t in_len;
    struct http_parser_state parser;
    struct reply reply;
    char in[2048];              /* bytes read and not yet parsed (pipelined requests wait here) */
};

struct loop {
    const struct config *cfg;
    struct shared *sh;
    struct stats *st;
    struct cache *cache;
    struct ev_loop *ev;
    int listen_fd;
    int listening;              /* the listening socket is in the interest set */
    double accept_resume_at;    /* after EMFILE/ENFILE, accepts pause until this time */
    struct conn **conns;        /* by descriptor */
    struct conn *idle_head, *idle_tail;
};

static void idle_unlink(struct loop *lp, struct conn *c)
{
    if (c->idle_prev)
        c->idle_prev->idle_next = c->idle_next;
    else
        lp->idle_head = c->idle_next;
    if (c->idle_next)
        c->idle_next->idle_prev = c->idle_prev;
    else
        lp->idle_tail = c->idle_prev;
    c->idle_prev = c->idle_next = NULL;
}

/* Marks progress on c: it moves to the young end of the idle list. */
static void touch(struct loop *lp, struct conn *c)
{
    c->last_active = stats_now();
    if (lp->idle_tail == c)
        return;
    if (c->idle_prev || c->idle_next || lp->idle_head == c)
        idle_unlink(lp, c);
    c->idle_prev = lp->idle_tail;
    if (lp->idle_tail)
        lp->idle_tail->idle_next = c;
    else
        lp->idle_head = c;
    lp->idle_tail = c;
}

static void set_listening(struct loop *lp, int on)
{
    if (lp->listening == on)
        return;
    if (ev_set(lp->ev, lp->listen_fd, on ? EV_READ : 0) != 0)
        fprintf(stderr, "userver: ev_set(listen fd %d): %s\n", lp->listen_fd, strerror(errno));
    else
        lp->listening = on;
}

static void conn_close(struct loop *lp, struct conn *c)
{
    ev_set(lp->ev, c->fd, 0);
    if (c->replying)
        reply_finish(&c->reply, lp->cache);
    close(c->fd);
    idle_unlink(lp, c);
    lp->conns[c->fd] = NULL;
    free(c);
    lp->st->closed++;
    atomic_fetch_sub(&lp->sh->conns, 1);
}

/* Returns 0 if c is ready for its next request, 1 if it was closed or waits for writable. */
static int send_reply(struct loop *lp, struct conn *c)
{
    enum reply_progress p = reply_send(&c->reply, c->fd, lp->st);
    if (p == REPLY_AGAIN && lp->cfg->blocking) { /* a blocking socket only says EAGAIN when SO_SNDTIMEO expired */
        lp->st->timeouts_idle++;
        conn_close(lp, c);
        return 1;
    }
    if (p == REPLY_AGAIN) {
        touch(lp, c);
        ev_set(lp->ev, c->fd, EV_WRITE);
        return 1;
    }
    if (p == REPLY_FAILED) {
        lp->st->conn_errors++;
        conn_close(lp, c);
        return 1;
    }
    touch(lp, c);
    if (!reply_keep_open(&c->reply, c->fd)) {
        conn_close(lp, c); /* still `replying`: conn_close releases the file */
        return 1;
    }
    reply_finish(&c->reply, lp->cache);
    c->replying = 0;
    http_parser_reset(&c->parser);
    ev_set(lp->ev, c->fd, EV_READ);
    return 0;
}

/* Parses buffered bytes and replies to each complete request in order. Returns 0 when it needs more input,
 * 1 if c was closed or waits for writable. */
static int serve_input(struct loop *lp, struct conn *c)
{
    while (c->in_len > 0) {
        size_t used;
        enum http_result r = http_parse(&c->parser, c->in, c->in_len, &used);
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        if (r == HTTP_AGAIN)
            continue;
        reply_prepare(&c->reply, lp->cache, &c->parser.req, !cli_stop, lp->st);
        c->replying = 1;
        if (send_reply(lp, c))
            return 1;
    }
    return 0;
}

static void conn_readable(struct loop *lp, struct conn *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
        if (n > 0) {
            c->in_len += (size_t)n;
            touch(lp, c);
            if (serve_input(lp, c) || lp->cfg->blocking) /* a blocking socket gets one read per event */
                return;
        } else if (n == 0) {
            conn_close(lp, c);
            return;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else if (errno != EINTR) {
            lp->st->conn_errors++;
            conn_close(lp, c);
            return;
        }
    }
}

static void conn_writable(struct loop *lp, struct conn *c)
{
    if (send_reply(lp, c) == 0)
        serve_input(lp, c); /* requests that were pipelined behind the one just answered */
}

/* Takes one connection slot of the whole server; 0 if --max-conns are open already. */
static int reserve_slot(struct loop *lp)
{
    if (atomic_fetch_add(&lp->sh->conns, 1) < lp->cfg->common.max_conns)
        return 1;
    atomic_fetch_sub(&lp->sh->conns, 1);
    return 0;
}

static void new_conn(struct loop *lp, int fd)
{
    struct conn *c = fd < lp->ev->capacity ? malloc(sizeof *c) : NULL;
    if (!c) {
        fprintf(stderr, "userver: no room for connection fd %d\n", fd);
        lp->st->conn_errors++;
        close(fd);
        atomic_fetch_sub(&lp->sh->conns, 1);
        return;
    }
    c->fd = fd;
    c->replying = 0;
    c->in_len = 0;
    c->idle_prev = c->idle_next = NULL;
    http_parser_reset(&c->parser);
    net_set_nodelay(fd);
    if (lp->cfg->blocking) {
        /* Blocking sendfile (§5.3): the process waits inside sendfile; the idle timeout bounds that wait. */
        if (net_set_nonblock(fd, 0) != 0 || net_set_send_timeout(fd, lp->cfg->common.idle_timeout) != 0)
            fprintf(stderr, "userver: making fd %d blocking: %s\n", fd, strerror(errno));
    }
    lp->conns[fd] = c;
    touch(lp, c);
    lp->st->accepted++;
    if (ev_set(lp->ev, fd, EV_READ) != 0) {
        fprintf(stderr, "userver: ev_set(fd %d): %s\n", fd, strerror(errno));
        lp->st->conn_errors++;
        conn_close(lp, c);
    }
}

/* Accepts until the queue is empty (EAGAIN) or the connection cap is reached. */
static void accept_ready(struct loop *lp)
{
    for (;;) {
        if (!reserve_slot(lp)) {
            set_listening(lp, 0); /* resumed when a connection closes */
            return;
        }
        int fd = net_accept(lp->listen_fd);
        if (fd >= 0) {
            new_conn(lp, fd);
            continue;
        }
        atomic_fetch_sub(&lp->sh->conns, 1);
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE) {
            fprintf(stderr, "userver: accept4: %s (pausing accepts for 100 ms)\n", strerror(errno));
            lp->accept_resume_at = stats_now() + 0.1;
            set_listening(lp, 0);
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            fprintf(stderr, "userver: accept4: %s\n", strerror(errno));
        }
        return;
    }
}

/* Closes connections idle for longer than the timeout; returns ms until the next one expires (-1: none). */
static int expire_idle(struct loop *lp)
{
    double now = stats_now(), timeout = lp->cfg->common.idle_timeout;
    while (lp->idle_head && lp->idle_head->last_active + timeout <= now) {
        lp->st->timeouts_idle++;
        conn_close(lp, lp->idle_head);
    }
    return lp->idle_head ? (int)((lp->idle_head->last_active + timeout - now) * 1000) + 1 : -1;
}

static void dispatch(struct loop *lp, const struct ev_fired *e)
{
    if (e->fd == lp->listen_fd) {
        accept_ready(lp);
        return;
    }
    struct conn *c = lp->conns[e->fd];
    if (c && (e->mask & EV_READ) && !c->replying)
        conn_readable(lp, c);
    c = lp->conns[e->fd]; /* the read may have closed it */
    if (c && (e->mask & EV_WRITE) && c->replying)
        conn_writable(lp, c);
}

int loop_run(const struct config *cfg, int listen_fd, int fd_capacity, struct shared *sh, struct stats *st,
             struct cache *cache, int prints)
{
    double started = stats_now();
    struct loop lp = {.cfg = cfg, .sh = sh, .st = st, .cache = cache, .listen_fd = listen_fd};
    lp.ev = ev_create(cfg->events, fd_capacity);
    lp.conns = calloc((size_t)fd_capacity, sizeof *lp.conns);
    if (!lp.ev || !lp.conns) {
        fprintf(stderr, "userver: creating the %s loop for %d descriptors: %s\n", cfg->events, fd_capacity,
                strerror(errno));
        return 1;
    }
    set_listening(&lp, 1);
    int status = 0;
    while (!cli_stop) {
        int wait_ms = expire_idle(&lp);
        /* A process that closed a connection resumes accepting at once; one paused at the cap while another
         * process freed the slot resumes at its next wake-up, at most a second later. */
        if (!lp.listening && atomic_load(&sh->conns) < cfg->common.max_conns && stats_now() >= lp.accept_resume_at)
            set_listening(&lp, 1);
        int cap_ms = 1000;
        if (!lp.listening && lp.accept_resume_at > stats_now())
            cap_ms = (int)((lp.accept_resume_at - stats_now()) * 1000) + 1;
        int n = ev_wait(lp.ev, wait_ms < 0 || wait_ms > cap_ms ? cap_ms : wait_ms);
        if (n < 0) {
            fprintf(stderr, "userver: %s wait: %s\n", cfg->events, strerror(errno));
            status = 1;
            break;
        }
        for (int i = 0; i < n; i++)
            dispatch(&lp, &lp.ev->fired[i]);
        st->event_calls = lp.ev->calls;
        st->event_fds_total = lp.ev->fds_total;
        if (prints && cli_dump_stats) {
            cli_dump_stats = 0;
            userver_print_stats(cfg, sh, started);
        }
    }
    for (int fd = 0; fd < fd_capacity; fd++)
        if (lp.conns[fd])
            conn_close(&lp, lp.conns[fd]);
    ev_free(lp.ev);
    free(lp.conns);
    return status;
}
