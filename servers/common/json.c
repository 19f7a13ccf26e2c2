/* A tiny appender for one-line JSON objects (the ready and stats lines); output that does not fit is cut short. */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>

static void append(struct json *j, const char *fmt, ...)
{
    if (j->len >= sizeof j->buf)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(j->buf + j->len, sizeof j->buf - j->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        j->len = j->len + (size_t)n < sizeof j->buf ? j->len + (size_t)n : sizeof j->buf - 1;
}

static void key(struct json *j, const char *k)
{
    append(j, "%s\"%s\":", j->members++ ? "," : "", k);
}

void json_init(struct json *j)
{
    j->buf[0] = '\0';
    j->len = 0;
    j->members = 0;
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
