/* The shared HTTP layer: request parsing on libhttp-parser, error classification and reply headers. */
#include "http.h"

#include <stdio.h>
#include <string.h>

static struct http_parser_state *state_of(http_parser *p)
{
    return (struct http_parser_state *)p->data;
}

/* A callback that returns -1 stops http_parser with an error (1 from on_headers_complete would only mean
 * "no body"); req.status says why. */
static int fail(struct http_parser_state *st, int status)
{
    st->req.status = status;
    return -1;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct http_parser_state *st = state_of(p);
    if (st->url_len + len > HTTP_URI_MAX)
        return fail(st, 414);
    memcpy(st->url + st->url_len, at, len);
    st->url_len += len;
    return 0;
}

static int on_header_data(http_parser *p, const char *at, size_t len)
{
    struct http_parser_state *st = state_of(p);
    (void)at;
    st->header_bytes += len;
    return st->header_bytes > HTTP_HEADERS_MAX ? fail(st, 431) : 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Extracts the path of the request target and percent-decodes it; returns 0 or 400. */
static int decode_path(struct http_parser_state *st)
{
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(st->url, st->url_len, 0, &u) != 0)
        return 400;
    const char *src = "/";
    size_t n = 1;
    if (u.field_set & (1 << UF_PATH)) {
        src = st->url + u.field_data[UF_PATH].off;
        n = u.field_data[UF_PATH].len;
    }
    if (n == 0 || src[0] != '/')
        return 400;
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%') {
            int hi = i + 2 < n ? hex_value(src[i + 1]) : -1;
            int lo = i + 2 < n ? hex_value(src[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return 400;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0')
            return 400;
        st->req.path[out++] = c;
    }
    st->req.path[out] = '\0';
    st->req.path_len = out;
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct http_parser_state *st = state_of(p);
    st->req.version_major = p->http_major;
    st->req.version_minor = p->http_minor;
    if (p->http_major != 1)
        return fail(st, 505);
    if (p->method != HTTP_GET && p->method != HTTP_HEAD)
        return fail(st, 405);
    /* A body is read and discarded; a large or chunked one is refused rather than read for ever. */
    if ((p->flags & F_CHUNKED) || p->uses_transfer_encoding ||
        ((p->flags & F_CONTENTLENGTH) && p->content_length > HTTP_BODY_MAX))
        return fail(st, 413);
    st->req.head = p->method == HTTP_HEAD;
    int status = decode_path(st);
    return status ? fail(st, status) : 0;
}

/* Pausing makes http_parser_execute return right after this request, leaving pipelined bytes unconsumed. */
static int on_message_complete(http_parser *p)
{
    struct http_parser_state *st = state_of(p);
    st->req.keep_alive = http_should_keep_alive(p);
    st->done = 1;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header_data,
    .on_header_value = on_header_data,
    .on_headers_complete = on_headers_complete,
    .on_message_complete = on_message_complete,
};

void http_parser_reset(struct http_parser_state *st)
{
    http_parser_init(&st->p, HTTP_REQUEST);
    st->p.data = st;
    st->req.head = 0;
    st->req.version_major = st->req.version_minor = 0;
    st->req.keep_alive = 0;
    st->req.status = 0;
    st->req.path_len = 0;
    st->req.path[0] = '\0';
    st->url_len = 0;
    st->header_bytes = 0;
    st->method_len = 0;
    st->method_state = 0;
    st->done = 0;
}

/* RFC 9110 token characters. */
static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* http_parser rejects any method it does not know with one error; scanning the method token ourselves tells
 * an unknown but well-formed method (501) from garbage (400). Leading empty lines are skipped, as RFC 9112 allows. */
static void scan_method(struct http_parser_state *st, const char *buf, size_t len)
{
    for (size_t i = 0; i < len && st->method_state == 0; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (st->method_len == 0 && (c == '\r' || c == '\n'))
            continue;
        if (c == ' ')
            st->method_state = st->method_len > 0 ? 1 : 2;
        else if (is_tchar(c) && st->method_len < HTTP_METHOD_MAX)
            st->method_len++;
        else
            st->method_state = 2;
    }
}

/* After http_parser rejected the method: 501 for a well-formed token, 400 for garbage, or wait for its end. */
static enum http_result classify_method(struct http_parser_state *st)
{
    if (st->method_state == 0)
        return HTTP_AGAIN;
    st->req.status = st->method_state == 1 ? 501 : 400;
    return HTTP_ERROR;
}

enum http_result http_parse(struct http_parser_state *st, const char *buf, size_t len, size_t *consumed)
{
    scan_method(st, buf, len);
    *consumed = len;
    if (HTTP_PARSER_ERRNO(&st->p) == HPE_INVALID_METHOD) /* failed earlier; only the token's end was missing */
        return classify_method(st);
    size_t n = http_parser_execute(&st->p, &settings, buf, len);
    enum http_errno err = HTTP_PARSER_ERRNO(&st->p);
    if (st->done) {
        *consumed = n;
        http_parser_pause(&st->p, 0);
        return HTTP_DONE;
    }
    if (err == HPE_OK)
        return HTTP_AGAIN;
    if (err == HPE_INVALID_METHOD)
        return classify_method(st);
    *consumed = n;
    if (!st->req.status)
        st->req.status = err == HPE_HEADER_OVERFLOW ? 431 : 400;
    return HTTP_ERROR;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Internal Server Error";
    }
}

const char *http_content_type(const char *path, size_t len)
{
    static const struct { const char *ext, *type; } types[] = {
        {"html", "text/html"}, {"htm", "text/html"}, {"txt", "text/plain"}, {"css", "text/css"},
        {"js", "application/javascript"}, {"json", "application/json"}, {"png", "image/png"},
        {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"svg", "image/svg+xml"},
    };
    size_t dot = len;
    while (dot > 0 && path[dot - 1] != '.' && path[dot - 1] != '/')
        dot--;
    if (dot == 0 || path[dot - 1] != '.')
        return "application/octet-stream";
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i].ext) == len - dot && memcmp(path + dot, types[i].ext, len - dot) == 0)
            return types[i].type;
    return "application/octet-stream";
}

size_t http_format_header(char *buf, size_t cap, off_t content_length, const char *content_type)
{
    int n = snprintf(buf, cap, "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\nContent-Type: %s\r\n",
                     (long long)content_length, content_type);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

const char *http_header_tail(const struct http_request *req, int keep_alive, size_t *len)
{
    /* HTTP/1.1 keeps the connection by default; HTTP/1.0 only when told so. */
    const char *tail = !keep_alive ? "Connection: close\r\n\r\n"
                       : req->version_minor == 0 ? "Connection: keep-alive\r\n\r\n"
                       : "\r\n";
    *len = strlen(tail);
    return tail;
}

size_t http_error_reply(char *buf, size_t cap, int status, int head)
{
    const char *reason = http_reason(status);
    int body_len = snprintf(NULL, 0, "%d %s\n", status, reason);
    int n = snprintf(buf, cap,
                     "HTTP/1.1 %d %s\r\n%sContent-Type: text/plain\r\nContent-Length: %d\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason, status == 405 ? "Allow: GET, HEAD\r\n" : "", body_len);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    if (!head) {
        int m = snprintf(buf + n, cap - (size_t)n, "%d %s\n", status, reason);
        if (m < 0 || (size_t)(n + m) >= cap)
            return 0;
        n += m;
    }
    return (size_t)n;
}
