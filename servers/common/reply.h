/* One HTTP reply from request to last byte: chooses the reply, then sends header (sendmsg) and body (sendfile). */
#ifndef COMMON_REPLY_H
#define COMMON_REPLY_H

#include <sys/types.h>

#include "cache.h"
#include "http.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

struct reply {
    int status;             /* 200 or the error status */
    int keep_alive;         /* the connection stays open after this reply */
    int has_file;           /* `file` is pinned and must be released by reply_finish */
    struct cache_ref file;
    const char *hdr[2];     /* header: cached part + tail (200), or the whole error reply in hdr[0] */
    size_t hdr_len[2];
    size_t hdr_sent;
    off_t body_off, body_end; /* the part of file still to send with sendfile */
    char err[HTTP_ERROR_REPLY_MAX];
};

enum reply_progress { REPLY_DONE, REPLY_AGAIN, REPLY_FAILED };

/* Chooses the reply to `req` (a parsed request, or a rejected one with req->status set): the file from the
 * cache, or an error reply that closes the connection. `keep_alive_ok` = 0 closes after the reply anyway
 * (e.g. the server is stopping). Counts the request and a 4xx/5xx status in *st. */
void reply_prepare(struct reply *r, struct cache *c, const struct http_request *req, int keep_alive_ok,
                   struct stats *st);

/* Writes what the socket takes: on a non-blocking socket REPLY_AGAIN means "wait until writable, call again";
 * on a blocking one it returns only when done or failed. REPLY_FAILED leaves errno set (EPIPE, ECONNRESET…).
 * Once cli_stop is set it sends nothing more and fails with ECANCELED. Counts bytes, and the reply once done, in *st. */
enum reply_progress reply_send(struct reply *r, int sock, struct stats *st);

/* The close-after-reply policy of every server, for a reply sent in full (REPLY_DONE): returns 1 if the connection
 * stays open for its next request. Otherwise (an error reply, `Connection: close`, HTTP/1.0, a stopping server)
 * it sends FIN and discards the request bytes that have arrived, then returns 0 and the caller closes `sock`.
 * Always, because a close() with unread bytes in the receive buffer makes the kernel send a reset, which destroys
 * the part of the reply the client has not read yet; such bytes are common after an error (the rest of the
 * rejected request) and after `Connection: close` (requests pipelined behind it). */
int reply_keep_open(const struct reply *r, int sock);

/* Releases the reply's file; call once for every prepared reply, sent or not. */
void reply_finish(struct reply *r, struct cache *c);

#ifdef __cplusplus
}
#endif
#endif
