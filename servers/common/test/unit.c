/* Unit tests of the common core (cache and its ops, HTTP parser, path checks, JSON lines, a reply cut short by
 * the stop), run under ASan+UBSan by common.test.ts. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cache.h"
#include "cli.h"
#include "http.h"
#include "json.h"
#include "path.h"
#include "reply.h"
#include "stats.h"

static int failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            printf("not ok %s:%d: %s\n", __FILE__, __LINE__, #cond);                 \
            failures++;                                                              \
        }                                                                            \
    } while (0)

static char root[] = "/tmp/common-unit-XXXXXX";

static void make_file(const char *name, size_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, name);
    FILE *f = fopen(path, "w");
    for (size_t i = 0; f && i < size; i++)
        fputc('x', f);
    if (!f || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static int fd_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

static void test_hash(void)
{
    /* FNV-1a 64-bit reference values */
    CHECK(cache_hash("", 0) == 0xcbf29ce484222325ULL);
    CHECK(cache_hash("a", 1) == 0xaf63dc4c8601ec8cULL);
    CHECK(cache_hash("foobar", 6) == 0x85944171f73967e8ULL);
}

static void test_cache(int rootfd)
{
    static char mem[1 << 16];
    CHECK(cache_bytes(2) <= sizeof mem);
    struct cache *c = cache_init(mem, 2, rootfd, NULL);
    struct cache_ref a, b, a2, d;
    struct cache_stats st;

    CHECK(cache_get(c, "/a", 2, &a) == 0);
    CHECK(a.slot >= 0 && a.size == 10 && fd_open(a.fd));
    CHECK(strncmp(a.hdr, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n", 37) == 0);
    CHECK(cache_get(c, "/a", 2, &a2) == 0 && a2.fd == a.fd); /* hit: the same descriptor */
    CHECK(cache_get(c, "/b", 2, &b) == 0 && b.size == 200);
    CHECK(cache_get(c, "/missing", 8, &d) == 404);
    CHECK(cache_get(c, "/../x", 5, &d) == 403);

    /* Both entries pinned: a third file is served uncached and closed on release. */
    struct cache_ref e;
    CHECK(cache_get(c, "/c.html", 7, &e) == 0 && e.slot == -1);
    CHECK(strstr(e.hdr, "Content-Type: text/html\r\n") != NULL);
    int efd = e.fd;
    cache_release(c, &e);
    CHECK(!fd_open(efd));

    /* Release /b then /a: /b is least recently released, so /c evicts it and closes its fd; /a stays. */
    int afd = a.fd, bfd = b.fd;
    cache_release(c, &b);
    cache_release(c, &a);
    cache_release(c, &a2);
    CHECK(cache_get(c, "/c.html", 7, &e) == 0 && e.slot >= 0);
    CHECK(!fd_open(bfd) && fd_open(afd));
    CHECK(cache_get(c, "/a", 2, &a) == 0 && a.fd == afd);
    cache_release(c, &a);
    cache_release(c, &e);

    /* A path longer than the key limit is served, never cached. */
    char longpath[CACHE_KEY_MAX + 10];
    memset(longpath, '/', sizeof longpath);
    memcpy(longpath + sizeof longpath - 2, "/a", 2);
    CHECK(cache_get(c, longpath, sizeof longpath, &d) == 0 && d.slot == -1 && d.size == 10);
    cache_release(c, &d);

    cache_get_stats(c, &st);
    CHECK(st.hits == 2 && st.evictions == 1 && st.uncached == 2);
    cache_close_all(c);
    CHECK(!fd_open(afd));
}

/* Parses `text` split into chunks of `chunk` bytes; returns the result of the first complete request. */
static enum http_result parse_in_chunks(struct http_parser_state *st, const char *text, size_t chunk, size_t *used_total)
{
    size_t len = strlen(text), off = 0;
    http_parser_reset(st);
    while (off < len) {
        size_t n = len - off < chunk ? len - off : chunk, used;
        enum http_result r = http_parse(st, text + off, n, &used);
        off += used;
        if (r != HTTP_AGAIN) {
            *used_total = off;
            return r;
        }
    }
    *used_total = off;
    return HTTP_AGAIN;
}

static void test_parser(void)
{
    static struct http_parser_state st;
    const char *two = "GET /d/%41b?q=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nHEAD /x HTTP/1.1\r\n\r\n";
    size_t first = strstr(two, "HEAD") - two, used;
    for (size_t chunk = 1; chunk <= strlen(two); chunk++) { /* every way of splitting the bytes */
        CHECK(parse_in_chunks(&st, two, chunk, &used) == HTTP_DONE);
        CHECK(used == first); /* the pipelined request stays unconsumed */
        CHECK(strcmp(st.req.path, "/d/Ab") == 0 && st.req.keep_alive && !st.req.head && st.req.version_minor == 0);
    }
    struct { const char *text; int status; } errors[] = {
        {"BREW / HTTP/1.1\r\n\r\n", 501},     {"get / HTTP/1.1\r\n\r\n", 501},
        {"G\x01T / HTTP/1.1\r\n\r\n", 400},   {"PUT / HTTP/1.1\r\n\r\n", 405},
        {"GET /%zz HTTP/1.1\r\n\r\n", 400},   {"GET /a%00 HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/2.0\r\n\r\n", 505},      {"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 413},
        {"GET / HTTP/1.1\r\nbad header\r\n\r\n", 400},
    };
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        for (size_t chunk = 1; chunk <= 3; chunk++) {
            enum http_result r = parse_in_chunks(&st, errors[i].text, chunk, &used);
            CHECK(r == HTTP_ERROR && st.req.status == errors[i].status);
            if (r != HTTP_ERROR || st.req.status != errors[i].status)
                printf("# request %zu split by %zu: result %d, status %d\n", i, chunk, r, st.req.status);
        }
    char big[HTTP_URI_MAX + 64];
    snprintf(big, sizeof big, "GET /%0*d HTTP/1.1\r\n\r\n", HTTP_URI_MAX, 0);
    CHECK(parse_in_chunks(&st, big, 100, &used) == HTTP_ERROR && st.req.status == 414);
    CHECK(parse_in_chunks(&st, "GET / HTTP/1.1\r\nHo", 5, &used) == HTTP_AGAIN);
}

static void test_path(void)
{
    CHECK(path_check("/a/b", 4) == 0);
    CHECK(path_check("/a/../b", 7) == 403);
    CHECK(path_check("/..", 3) == 403);
    CHECK(path_check("/a/..b", 6) == 0); /* only a whole ".." segment climbs */
    CHECK(path_check("a", 1) == 400);
    CHECK(path_check("/a\0b", 4) == 400);
}

/* A full descriptor table: a miss closes the least recently used unpinned entry and retries its open; with every
 * entry pinned the miss is a 503. The table is filled with dups under a lowered soft limit. */
static void test_cache_shed(int rootfd)
{
    static char mem[1 << 16];
    CHECK(cache_bytes(4) <= sizeof mem);
    struct cache *c = cache_init(mem, 4, rootfd, NULL);
    struct cache_ref a, b, e = { .fd = -1, .slot = -1 }, x = e; /* released below even if a CHECK failed */
    struct cache_stats st;
    CHECK(cache_get(c, "/a", 2, &a) == 0 && cache_get(c, "/b", 2, &b) == 0);
    int afd = a.fd;
    cache_release(c, &a); /* least recently used */
    cache_release(c, &b);

    struct rlimit old, low;
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    int lowest_free = dup(0);
    close(lowest_free);
    low = (struct rlimit){ .rlim_cur = (rlim_t)lowest_free + 8, .rlim_max = old.rlim_max };
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
    int fillers[8], n = 0, fd;
    while (n < 8 && (fd = dup(0)) >= 0)
        fillers[n++] = fd;
    CHECK(dup(0) == -1 && errno == EMFILE);

    /* /a is shed: its descriptor number, the only free one, is the one /c.html gets */
    CHECK(cache_get(c, "/c.html", 7, &e) == 0 && e.slot >= 0 && e.size == 5 && e.fd == afd);
    cache_get_stats(c, &st);
    CHECK(st.shed == 1 && st.evictions == 0);
    CHECK(cache_get(c, "/b", 2, &b) == 0);   /* a hit: no descriptor needed */
    CHECK(cache_get(c, "/a", 2, &x) == 503); /* /b and /c.html pinned: nothing to shed */
    cache_get_stats(c, &st);
    CHECK(st.shed == 1 && st.hits == 1);

    while (n > 0)
        close(fillers[--n]);
    CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
    CHECK(cache_get(c, "/a", 2, &x) == 0 && x.slot >= 0 && x.size == 10);
    cache_release(c, &x);
    cache_release(c, &b);
    cache_release(c, &e);
    cache_close_all(c);
}

/* A server's cache_ops: the open of every miss goes through `open` (which runs cache_open), the table operations
 * through the lock, and never an open with the lock held. */
static struct {
    int opens, locks, held;
} ops_seen;
static void ops_lock(void *arg)
{
    (void)arg;
    ops_seen.locks++;
    ops_seen.held = 1;
}

static void ops_unlock(void *arg)
{
    (void)arg;
    ops_seen.held = 0;
}

static int ops_open(void *arg, struct cache *c, const char *path, size_t len, int *fd, off_t *size)
{
    CHECK(arg == &ops_seen && !ops_seen.held);
    ops_seen.opens++;
    return cache_open(c, path, len, fd, size);
}

static void test_cache_ops(int rootfd)
{
    static char mem[1 << 16];
    struct cache_ops ops = { ops_lock, ops_unlock, ops_open, &ops_seen };
    struct cache *c = cache_init(mem, 4, rootfd, &ops);
    struct cache_ref a, b;
    CHECK(cache_get(c, "/a", 2, &a) == 0 && a.size == 10);
    CHECK(cache_get(c, "/a", 2, &b) == 0 && b.fd == a.fd); /* a hit: no open */
    CHECK(cache_get(c, "/missing", 8, &b) == 404);
    CHECK(ops_seen.opens == 2 && ops_seen.locks > 0 && !ops_seen.held);
    cache_release(c, &a);
    cache_release(c, &a);
    cache_close_all(c);
}

static void test_default_capacity(void)
{
    CHECK(cache_default_capacity(20000, 18000, 1) == 20000 - 18000 - CACHE_FD_RESERVE);
    CHECK(cache_default_capacity(40, 60, 1) == 16); /* shedding covers what the table lacks */
    CHECK(cache_default_capacity(1L << 40, 0, 1) < (1L << 40) - CACHE_FD_RESERVE); /* a quarter of file-max */
}

/* A stats line of any length comes out whole (a fixed buffer used to cut it). */
static void test_json(void)
{
    struct json j;
    json_init(&j);
    CHECK(strcmp(json_text(&j), "") == 0);
    for (int i = 0; i < 1000; i++)
        json_int(&j, "writer_jobs", 1234567890123LL);
    json_str(&j, "last", "a\"b\n");
    const char *t = json_text(&j), *last = "\"last\":\"a\\\"b\\u000a\"";
    CHECK(strlen(t) == 1000 * strlen("\"writer_jobs\":1234567890123,") + strlen(last));
    CHECK(strncmp(t, "\"writer_jobs\":1234567890123,\"writer_jobs\"", 30) == 0);
    CHECK(strcmp(t + strlen(t) - strlen(last), last) == 0);
    json_free(&j);
}

static void stop_now(int sig)
{
    (void)sig;
    cli_stop = 1;
}

/* A blocking send to a client that never reads: the stop signal ends it at once, not after SO_SNDTIMEO. */
static void test_reply_stop(void)
{
    make_file("big", 4 << 20);
    char path[256];
    snprintf(path, sizeof path, "%s/big", root);
    int sv[2], file = open(path, O_RDONLY);
    CHECK(file >= 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    struct timeval ten = {.tv_sec = 10};
    CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &ten, sizeof ten) == 0);
    struct sigaction sa = {.sa_handler = stop_now}; /* no SA_RESTART, as cli_install_signals */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval in_200ms = {.it_value = {.tv_usec = 200000}};
    setitimer(ITIMER_REAL, &in_200ms, NULL);
    struct reply r = {.file = {.fd = file}, .body_end = 4 << 20};
    struct stats st = {0};
    double t0 = stats_now();
    enum reply_progress p = reply_send(&r, sv[0], &st);
    int err = errno;
    CHECK(p == REPLY_FAILED && err == ECANCELED);
    CHECK(stats_now() - t0 < 2.0);
    CHECK(r.body_off > 0 && r.body_off < (4 << 20)); /* some sent before the stop, not all */
    cli_stop = 0;
    close(sv[0]);
    close(sv[1]);
    close(file);
    unlink(path);
}

int main(void)
{
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    make_file("a", 10);
    make_file("b", 200);
    make_file("c.html", 5);
    int rootfd = path_open_root(root);
    test_hash();
    test_cache(rootfd);
    test_cache_shed(rootfd);
    test_cache_ops(rootfd);
    test_default_capacity();
    test_json();
    test_parser();
    test_path();
    test_reply_stop();
    close(rootfd);
    const char *names[] = {"a", "b", "c.html"};
    for (int i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", root, names[i]);
        unlink(path);
    }
    rmdir(root);
    printf(failures ? "FAILED %d\n" : "all passed\n", failures);
    return failures != 0;
}
