/* One userver process: an event loop over the listening socket and its connections (the SPED core of every mode). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
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

struct worker {
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

static void idle_unlink(struct worker *w, struct conn *c)
{
    if (c->idle_prev)
        c->idle_prev->idle_next = c->idle_next;
    else
        w->idle_head = c->idle_next;
    if (c->idle_next)
        c->idle_next->idle_prev = c->idle_prev;
    else
        w->idle_tail = c->idle_prev;
    c->idle_prev = c->idle_next = NULL;
}

/* Marks progress on c: it moves to the young end of the idle list. */
static void touch(struct worker *w, struct conn *c)
{
    c->last_active = stats_now();
    if (w->idle_tail == c)
        return;
    if (c->idle_prev || c->idle_next || w->idle_head == c)
        idle_unlink(w, c);
    c->idle_prev = w->idle_tail;
    if (w->idle_tail)
        w->idle_tail->idle_next = c;
    else
        w->idle_head = c;
    w->idle_tail = c;
}

static void set_listening(struct worker *w, int on)
{
    if (w->listening == on)
        return;
    if (ev_set(w->ev, w->listen_fd, on ? EV_READ : 0) != 0)
        fprintf(stderr, "userver: ev_set(listen fd %d): %s\n", w->listen_fd, strerror(errno));
    else
        w->listening = on;
}

static void conn_close(struct worker *w, struct conn *c)
{
    ev_set(w->ev, c->fd, 0);
    if (c->replying) {
        if (c->reply.status != 200)
            net_shutdown_drain(c->fd);
        reply_finish(&c->reply, w->cache);
    }
    close(c->fd);
    idle_unlink(w, c);
    w->conns[c->fd] = NULL;
    free(c);
    w->st->closed++;
    atomic_fetch_sub(&w->sh->conns, 1);
}

/* Returns 0 if c is ready for its next request, 1 if it was closed or waits for writable. */
static int send_reply(struct worker *w, struct conn *c)
{
    enum reply_progress p = reply_send(&c->reply, c->fd, w->st);
    if (p == REPLY_AGAIN && w->cfg->blocking) { /* a blocking socket only says EAGAIN when SO_SNDTIMEO expired */
        w->st->timeouts_idle++;
        conn_close(w, c);
        return 1;
    }
    if (p == REPLY_AGAIN) {
        touch(w, c);
        ev_set(w->ev, c->fd, EV_WRITE);
        return 1;
    }
    if (p == REPLY_FAILED) {
        w->st->conn_errors++;
        conn_close(w, c);
        return 1;
    }
    touch(w, c);
    if (!c->reply.keep_alive) {
        conn_close(w, c); /* still `replying`: conn_close releases the file and drains after errors */
        return 1;
    }
    reply_finish(&c->reply, w->cache);
    c->replying = 0;
    http_parser_reset(&c->parser);
    ev_set(w->ev, c->fd, EV_READ);
    return 0;
}

/* Parses buffered bytes and replies to each complete request in order. Returns 0 when it needs more input,
 * 1 if c was closed or waits for writable. */
static int serve_input(struct worker *w, struct conn *c)
{
    while (c->in_len > 0) {
        size_t used;
        enum http_result r = http_parse(&c->parser, c->in, c->in_len, &used);
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        if (r == HTTP_AGAIN)
            continue;
        reply_prepare(&c->reply, w->cache, &c->parser.req, !cli_stop, w->st);
        c->replying = 1;
        if (send_reply(w, c))
            return 1;
    }
    return 0;
}

static void conn_readable(struct worker *w, struct conn *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
        if (n > 0) {
            c->in_len += (size_t)n;
            touch(w, c);
            if (serve_input(w, c) || w->cfg->blocking) /* a blocking socket gets one read per event */
                return;
        } else if (n == 0) {
            conn_close(w, c);
            return;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else if (errno != EINTR) {
            w->st->conn_errors++;
            conn_close(w, c);
            return;
        }
    }
}

static void conn_writable(struct worker *w, struct conn *c)
{
    if (send_reply(w, c) == 0)
        serve_input(w, c); /* requests that were pipelined behind the one just answered */
}

/* Takes one connection slot of the whole server; 0 if --max-conns are open already. */
static int reserve_slot(struct worker *w)
{
    if (atomic_fetch_add(&w->sh->conns, 1) < w->cfg->common.max_conns)
        return 1;
    atomic_fetch_sub(&w->sh->conns, 1);
    return 0;
}

static void new_conn(struct worker *w, int fd)
{
    struct conn *c = fd < w->ev->capacity ? malloc(sizeof *c) : NULL;
    if (!c) {
        fprintf(stderr, "userver: no room for connection fd %d\n", fd);
        w->st->conn_errors++;
        close(fd);
        atomic_fetch_sub(&w->sh->conns, 1);
        return;
    }
    c->fd = fd;
    c->replying = 0;
    c->in_len = 0;
    c->idle_prev = c->idle_next = NULL;
    http_parser_reset(&c->parser);
    net_set_nodelay(fd);
    if (w->cfg->blocking) {
        /* Blocking sendfile (§5.3): the process waits inside sendfile; the idle timeout bounds that wait. */
        double t = w->cfg->common.idle_timeout;
        struct timeval tv = {.tv_sec = (time_t)t, .tv_usec = (suseconds_t)((t - (double)(time_t)t) * 1e6)};
        if (net_set_nonblock(fd, 0) != 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
            fprintf(stderr, "userver: making fd %d blocking: %s\n", fd, strerror(errno));
    }
    w->conns[fd] = c;
    touch(w, c);
    w->st->accepted++;
    if (ev_set(w->ev, fd, EV_READ) != 0) {
        fprintf(stderr, "userver: ev_set(fd %d): %s\n", fd, strerror(errno));
        w->st->conn_errors++;
        conn_close(w, c);
    }
}

/* Accepts until the queue is empty (EAGAIN) or the connection cap is reached. */
static void accept_ready(struct worker *w)
{
    for (;;) {
        if (!reserve_slot(w)) {
            set_listening(w, 0); /* resumed when a connection closes */
            return;
        }
        int fd = net_accept(w->listen_fd);
        if (fd >= 0) {
            new_conn(w, fd);
            continue;
        }
        atomic_fetch_sub(&w->sh->conns, 1);
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE) {
            fprintf(stderr, "userver: accept4: %s (pausing accepts for 100 ms)\n", strerror(errno));
            w->accept_resume_at = stats_now() + 0.1;
            set_listening(w, 0);
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            fprintf(stderr, "userver: accept4: %s\n", strerror(errno));
        }
        return;
    }
}

/* Closes connections idle for longer than the timeout; returns ms until the next one expires (-1: none). */
static int expire_idle(struct worker *w)
{
    double now = stats_now(), timeout = w->cfg->common.idle_timeout;
    while (w->idle_head && w->idle_head->last_active + timeout <= now) {
        w->st->timeouts_idle++;
        conn_close(w, w->idle_head);
    }
    return w->idle_head ? (int)((w->idle_head->last_active + timeout - now) * 1000) + 1 : -1;
}

static void dispatch(struct worker *w, const struct ev_fired *e)
{
    if (e->fd == w->listen_fd) {
        accept_ready(w);
        return;
    }
    struct conn *c = w->conns[e->fd];
    if (c && (e->mask & EV_READ) && !c->replying)
        conn_readable(w, c);
    c = w->conns[e->fd]; /* the read may have closed it */
    if (c && (e->mask & EV_WRITE) && c->replying)
        conn_writable(w, c);
}

int worker_run(const struct config *cfg, int listen_fd, int fd_capacity, struct shared *sh, struct stats *st,
               struct cache *cache, int prints)
{
    double started = stats_now();
    struct worker w = {.cfg = cfg, .sh = sh, .st = st, .cache = cache, .listen_fd = listen_fd};
    w.ev = ev_create(cfg->events, fd_capacity);
    w.conns = calloc((size_t)fd_capacity, sizeof *w.conns);
    if (!w.ev || !w.conns) {
        fprintf(stderr, "userver: creating the %s loop for %d descriptors: %s\n", cfg->events, fd_capacity,
                strerror(errno));
        return 1;
    }
    set_listening(&w, 1);
    int status = 0;
    while (!cli_stop) {
        int wait_ms = expire_idle(&w);
        /* A process that closed a connection resumes accepting at once; one paused at the cap while another
         * process freed the slot resumes at its next wake-up, at most a second later. */
        if (!w.listening && atomic_load(&sh->conns) < cfg->common.max_conns && stats_now() >= w.accept_resume_at)
            set_listening(&w, 1);
        int cap_ms = 1000;
        if (!w.listening && w.accept_resume_at > stats_now())
            cap_ms = (int)((w.accept_resume_at - stats_now()) * 1000) + 1;
        int n = ev_wait(w.ev, wait_ms < 0 || wait_ms > cap_ms ? cap_ms : wait_ms);
        if (n < 0) {
            fprintf(stderr, "userver: %s wait: %s\n", cfg->events, strerror(errno));
            status = 1;
            break;
        }
        for (int i = 0; i < n; i++)
            dispatch(&w, &w.ev->fired[i]);
        st->event_calls = w.ev->calls;
        st->event_fds_total = w.ev->fds_total;
        if (prints && cli_dump_stats) {
            cli_dump_stats = 0;
            userver_print_stats(cfg, sh, started);
        }
    }
    for (int fd = 0; fd < fd_capacity; fd++)
        if (w.conns[fd])
            conn_close(&w, w.conns[fd]);
    ev_free(w.ev);
    free(w.conns);
    return status;
}
