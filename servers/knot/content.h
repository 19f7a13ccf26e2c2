/* knot-c's application-level cache of file contents (the original Knot's), LRU within a byte budget. */
#ifndef KNOT_CONTENT_H
#define KNOT_CONTENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct content_stats {
    uint64_t hits, misses, evictions, uncached;
    uint64_t bytes;   /* file bytes held now */
};

/* A file's bytes, pinned for the caller until content_release. */
struct content;

/* Starts an empty cache that holds at most `capacity` bytes of file data. 0, or -1 + errno. */
int content_init(size_t capacity);

/* Returns the contents of the file at `path` (the cache key), `size` bytes read from `fd` by a worker thread on
 * a miss; NULL + errno if the read failed or the file is shorter than `size`. Threads that ask for a file
 * while another is reading it wait for that read. The result is pinned: release it with content_release. */
struct content *content_get(const char *path, size_t path_len, int fd, size_t size);
const char *content_data(const struct content *c);
void content_release(struct content *c);

void content_get_stats(struct content_stats *out);

#endif
