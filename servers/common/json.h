/* A tiny appender for one-line JSON objects (the ready and stats lines), in a buffer that grows as needed. */
#ifndef COMMON_JSON_H
#define COMMON_JSON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Members are appended as "key":value with commas in between; the caller adds the braces it needs. The buffer
 * grows, so a line is never cut short (a server out of memory for it exits with a message). */
struct json {
    char *buf; /* NUL-terminated; json_text reads it */
    size_t len, cap;
    int members;
};

void json_init(struct json *j);
void json_free(struct json *j);
void json_str(struct json *j, const char *key, const char *value);
void json_int(struct json *j, const char *key, long long value);
void json_num(struct json *j, const char *key, double value);
/* `raw` is already JSON (an object, an array or a fragment in braces). */
void json_raw(struct json *j, const char *key, const char *raw);
/* The members so far ("" when there are none). */
const char *json_text(const struct json *j);

#ifdef __cplusplus
}
#endif
#endif
