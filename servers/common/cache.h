/* The cache of open file descriptors and reply headers keyed by URI path, with the one hash function of all servers. */
#ifndef COMMON_CACHE_H
#define COMMON_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CACHE_KEY_MAX 192 /* longer paths are served without being cached */
#define CACHE_HDR_MAX 160 /* room for http_format_header's output */

struct cache;

/* How a server's architecture uses the cache: everything else about it is the same in every server.
 * The cache holds no pointers (only indices), so it may live in memory shared by processes (mmap MAP_SHARED
 * before fork/clone). It does no locking of its own: a cache used by several threads or processes is given a
 * lock, which it takes around every table operation but never around disk I/O. `open` is where the open of a
 * miss runs (it must call cache_open): a server whose threads must not block in the kernel sends it elsewhere
 * (knot: to a worker thread, so that a slow open does not stall its user-level scheduler). Every member may be
 * NULL: no lock, and cache_open called directly. */
struct cache_ops {
    void (*lock)(void *arg);
    void (*unlock)(void *arg);
    int (*open)(void *arg, struct cache *c, const char *path, size_t len, int *fd, off_t *size);
    void *arg;
};

/* Descriptors a cache's default capacity leaves to the rest of the server: listeners, eventfds, signalfds,
 * stdio, the opens of misses in flight. */
#define CACHE_FD_RESERVE 64

/* A reply's file, pinned in the cache until cache_release (eviction never closes a pinned fd). */
struct cache_ref {
    int fd;
    off_t size;
    const char *hdr;   /* cacheable part of the 200 header (see http_format_header) */
    size_t hdr_len;
    int32_t slot;      /* cache entry, or -1 when the file is not cached: then fd and hdr belong to the ref */
    char own_hdr[CACHE_HDR_MAX];
};

struct cache_stats {
    uint64_t hits, misses, evictions, uncached;
    uint64_t shed; /* entries closed because an open met a full descriptor table (EMFILE/ENFILE) */
};

/* Bytes of memory a cache of `capacity` entries needs. */
size_t cache_bytes(uint32_t capacity);

/* Lays out an empty cache in `mem` (cache_bytes(capacity) bytes, suitably aligned, e.g. from malloc or mmap).
 * Files are opened under `rootfd` (path_open_root). `ops` may be NULL (one thread, opens in place); it is
 * copied, so its functions and arg must be valid in every process that uses the cache. */
struct cache *cache_init(void *mem, uint32_t capacity, int rootfd, const struct cache_ops *ops);

/* The default capacity of a cache in a descriptor table of `nofile` descriptors that also holds up to `conns`
 * connections: what they leave after CACHE_FD_RESERVE. At least 16 entries, because shedding (cache_shed) gives
 * descriptors back when the table fills anyway; `caches` (a server with one private cache per process: the
 * processes) together keep below a quarter of the system's file-max, which the other processes of the machine
 * share. */
uint32_t cache_default_capacity(long nofile, long conns, int caches);

/* Looks up `path` (decoded, as in http_request), opening the file and formatting its header on a miss. When the
 * open finds the descriptor table full, unpinned entries are closed (shed) one by one and the open retried.
 * Returns 0 with *ref filled, or the HTTP error status from path_open (400/403/404/500/503). */
int cache_get(struct cache *c, const char *path, size_t len, struct cache_ref *ref);

/* The open of a miss: path_open under the cache's root, retried while the descriptor table is full (503) and
 * cache_shed can give a descriptor back. Called by cache_get, through cache_ops.open when there is one. */
int cache_open(struct cache *c, const char *path, size_t len, int *fd, off_t *size);

/* Closes the least recently used unpinned entry and frees its slot, because the descriptor table is full: the
 * table is shared with the connections and with opens in flight, which a cache sized to "what the connections
 * leave" does not count (knot's workers open files while their threads wait). Returns 0 if everything is pinned.
 * Takes the cache's lock. */
int cache_shed(struct cache *c);

/* Unpins the file of a ref obtained from cache_get (closes it if it was not cached). */
void cache_release(struct cache *c, struct cache_ref *ref);

void cache_get_stats(struct cache *c, struct cache_stats *out);

/* Closes every cached descriptor (entries must not be pinned). */
void cache_close_all(struct cache *c);

/* The hash of every server's caches (64-bit FNV-1a). */
uint64_t cache_hash(const char *key, size_t len);

#ifdef __cplusplus
}
#endif
#endif
