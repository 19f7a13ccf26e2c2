/* One HTTP reply from request to last byte: chooses the reply, then sends header (sendmsg) and body (sendfile). */
#include "reply.h"

#include "cli.h"

#include <errno.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

static void prepare_error(struct reply *r, int status, int head)
{
    r->status = status;
    r->keep_alive = 0;
    r->hdr[0] = r->err;
    r->hdr_len[0] = http_error_reply(r->err, sizeof r->err, status, head);
    r->hdr_len[1] = 0;
}

void reply_prepare(struct reply *r, struct cache *c, const struct http_request *req, int keep_alive_ok,
                   struct stats *st)
{
    r->has_file = 0;
    r->hdr_sent = 0;
    r->body_off = r->body_end = 0;
    st->requests++;
    int status = req->status ? req->status : cache_get(c, req->path, req->path_len, &r->file);
    if (status) {
        prepare_error(r, status, req->head);
        stats_count_status(st, status);
        return;
    }
    r->status = 200;
    r->has_file = 1;
    r->keep_alive = req->keep_alive && keep_alive_ok;
    r->hdr[0] = r->file.hdr;
    r->hdr_len[0] = r->file.hdr_len;
    r->hdr[1] = http_header_tail(req, r->keep_alive, &r->hdr_len[1]);
    r->body_end = req->head ? 0 : r->file.size;
}

/* The unsent part of the header as an iovec array; returns its count. */
static int header_iov(const struct reply *r, struct iovec *iov)
{
    int n = 0;
    size_t skip = r->hdr_sent;
    for (int i = 0; i < 2; i++) {
        if (skip >= r->hdr_len[i]) {
            skip -= r->hdr_len[i];
            continue;
        }
        iov[n].iov_base = (char *)r->hdr[i] + skip;
        iov[n].iov_len = r->hdr_len[i] - skip;
        skip = 0;
        n++;
    }
    return n;
}

/* Once the server is stopping, a reply still in progress is abandoned at its next write: on a blocking socket
 * the write after a signal-shortened one would otherwise wait up to SO_SNDTIMEO for a client that may never read. */
static int stopping(void)
{
    if (!cli_stop)
        return 0;
    errno = ECANCELED;
    return 1;
}

enum reply_progress reply_send(struct reply *r, int sock, struct stats *st)
{
    struct iovec iov[2];
    int n;
    while ((n = header_iov(r, iov)) > 0) {
        if (stopping())
            return REPLY_FAILED;
        /* MSG_MORE holds a short header back so that it leaves in one segment with the body's start. */
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        int flags = MSG_NOSIGNAL | (r->body_off < r->body_end ? MSG_MORE : 0);
        ssize_t w = sendmsg(sock, &msg, flags);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? REPLY_AGAIN : REPLY_FAILED;
        r->hdr_sent += (size_t)w;
        st->bytes += (uint64_t)w;
    }
    while (r->body_off < r->body_end) {
        if (stopping())
            return REPLY_FAILED;
        ssize_t w = sendfile(sock, r->file.fd, &r->body_off, (size_t)(r->body_end - r->body_off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? REPLY_AGAIN : REPLY_FAILED;
        if (w == 0) { /* the file shrank under us */
            errno = EIO;
            return REPLY_FAILED;
        }
        st->bytes += (uint64_t)w;
    }
    st->replies++;
    return REPLY_DONE;
}

int reply_keep_open(const struct reply *r, int sock)
{
    if (r->keep_alive)
        return 1;
    char sink[4096];
    shutdown(sock, SHUT_WR);
    /* Bounded: a client that keeps sending is reset after all, but not waited for. */
    for (int i = 0; i < 16 && recv(sock, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
        ;
    return 0;
}

void reply_finish(struct reply *r, struct cache *c)
{
    if (r->has_file)
        cache_release(c, &r->file);
    r->has_file = 0;
}
