/* libFuzzer target for the request path: bytes in arbitrary chunks → parser → path resolution and cache → reply header. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "path.h"
#include "reply.h"

static struct cache *cache;
static char root[] = "/tmp/fuzz-root-XXXXXX";
static char dir[64], file1[64], file2[64];

static void remove_root(void)
{
    unlink(file1);
    unlink(file2);
    rmdir(dir);
    rmdir(root);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* A small document root in a temporary directory: one directory, two files; removed at exit. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(dir, sizeof dir, "%s/dir00000", root);
    snprintf(file1, sizeof file1, "%s/class0_0", dir);
    snprintf(file2, sizeof file2, "%s/index.html", root);
    atexit(remove_root);
    if (mkdir(dir, 0755) != 0) {
        perror(dir);
        exit(1);
    }
    write_file(file1, "hello");
    write_file(file2, "<html></html>");
    int rootfd = path_open_root(root);
    static char mem[1 << 16];
    if (rootfd < 0 || cache_bytes(4) > sizeof mem) {
        perror("fuzz cache");
        exit(1);
    }
    cache = cache_init(mem, 4, rootfd, NULL); /* 4 entries: evictions happen too */
    return 0;
}

/* The first byte chooses the chunk size, so that every split of a request across reads gets exercised. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] % 16 + 1;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1, off = 0;
    static struct http_parser_state st;
    struct stats stats;
    memset(&stats, 0, sizeof stats);
    http_parser_reset(&st);
    while (off < len) {
        size_t n = len - off < chunk ? len - off : chunk, used;
        enum http_result r = http_parse(&st, buf + off, n, &used);
        if (used > n)
            abort();
        off += used;
        if (r == HTTP_AGAIN)
            continue;
        struct reply rep;
        reply_prepare(&rep, cache, &st.req, 1, &stats);
        if (rep.status == 200 && (rep.hdr_len[0] == 0 || rep.file.fd < 0))
            abort();
        if (rep.status != 200 && (rep.hdr_len[0] == 0 || rep.keep_alive))
            abort();
        reply_finish(&rep, cache);
        if (r == HTTP_ERROR || !rep.keep_alive)
            break;
        http_parser_reset(&st);
    }
    return 0;
}
