/* A tiny appender for one-line JSON objects (the ready and stats lines), in a buffer that grows as needed. */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void append(struct json *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t need = j->len + (size_t)n + 1;
    if (need > j->cap) {
        size_t cap = j->cap ? j->cap : 256;
        while (cap < need)
            cap *= 2;
        char *buf = realloc(j->buf, cap);
        if (!buf) { /* a stats line cut short would be read as wrong counters: better no line at all */
            fprintf(stderr, "json: no memory for a %zu-byte line\n", need);
            exit(1);
        }
        j->buf = buf;
        j->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(j->buf + j->len, j->cap - j->len, fmt, ap);
    va_end(ap);
    j->len += (size_t)n;
}

static void key(struct json *j, const char *k)
{
    append(j, "%s\"%s\":", j->members++ ? "," : "", k);
}

void json_init(struct json *j)
{
    *j = (struct json){ 0 };
}

void json_free(struct json *j)
{
    free(j->buf);
    json_init(j);
}

const char *json_text(const struct json *j)
{
    return j->buf ? j->buf : "";
}

void json_str(struct json *j, const char *k, const char *value)
{
    key(j, k);
    append(j, "\"");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p == '"' || *p == '\\')
            append(j, "\\%c", *p);
        else if (*p < 0x20)
            append(j, "\\u%04x", *p);
        else
            append(j, "%c", *p);
    }
    append(j, "\"");
}

void json_int(struct json *j, const char *k, long long value)
{
    key(j, k);
    append(j, "%lld", value);
}

void json_num(struct json *j, const char *k, double value)
{
    key(j, k);
    append(j, "%.3f", value);
}

void json_raw(struct json *j, const char *k, const char *raw)
{
    key(j, k);
    append(j, "%s", raw);
}
