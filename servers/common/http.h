/* The shared HTTP layer: an incremental, strict request parser (on libhttp-parser) and reply headers. */
#ifndef COMMON_HTTP_H
#define COMMON_HTTP_H

#include <stddef.h>
#include <sys/types.h>
#include <http_parser.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HTTP_URI_MAX 1024    /* longer request target → 414 */
#define HTTP_HEADERS_MAX 8192 /* more header bytes after the request line → 431 */
#define HTTP_METHOD_MAX 24   /* longer method token → 400 */
#define HTTP_BODY_MAX 8192   /* a longer (or chunked) request body → 413 */

enum http_result { HTTP_AGAIN = 0, HTTP_DONE = 1, HTTP_ERROR = 2 };

/* One parsed request. `status` is 0 for a servable GET/HEAD, otherwise the error status to reply with. */
struct http_request {
    int head;                    /* 1 for HEAD, 0 for GET */
    int version_major, version_minor;
    int keep_alive;              /* the client allows another request on this connection */
    int status;
    size_t path_len;
    char path[HTTP_URI_MAX + 1]; /* percent-decoded path of the target, NUL-terminated, starts with '/' */
};

/* Incremental parser state, kept in each connection. */
struct http_parser_state {
    http_parser p;
    struct http_request req;
    char url[HTTP_URI_MAX + 1];  /* raw target while it arrives */
    size_t url_len;
    size_t header_bytes;
    size_t method_len;           /* our own scan of the method token, to tell 501 from 400 */
    int method_state;            /* 0 scanning, 1 token complete, 2 not a token */
    int done;
};

/* Prepares `st` for the next request on a connection. */
void http_parser_reset(struct http_parser_state *st);

/* Feeds up to `len` bytes; sets *consumed to the bytes used. Returns HTTP_DONE when st->req holds a complete
 * request (the bytes after it are not consumed: pipelined requests stay in the caller's buffer),
 * HTTP_ERROR when st->req.status holds the error to reply with, HTTP_AGAIN when more bytes are needed. */
enum http_result http_parse(struct http_parser_state *st, const char *buf, size_t len, size_t *consumed);

/* Reason phrase of a status code ("Not Found"). */
const char *http_reason(int status);

/* Content-Type for a path of `len` bytes, by extension (application/octet-stream when unknown). */
const char *http_content_type(const char *path, size_t len);

/* Formats the cacheable part of a 200 reply header (status line, Content-Length, Content-Type), without
 * the final blank line. Returns its length, or 0 if `cap` is too small. */
size_t http_format_header(char *buf, size_t cap, off_t content_length, const char *content_type);

/* The end of a reply header for this request: the Connection line if needed and the blank line. */
const char *http_header_tail(const struct http_request *req, int keep_alive, size_t *len);

/* Writes a complete error reply (header, and a short body unless `head`) with Connection: close into buf;
 * returns its length (cap >= HTTP_ERROR_REPLY_MAX always suffices). */
#define HTTP_ERROR_REPLY_MAX 256
size_t http_error_reply(char *buf, size_t cap, int status, int head);

#ifdef __cplusplus
}
#endif
#endif
