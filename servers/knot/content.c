/* knot-c's application-level cache of file contents: a chained hash table (keyed with the shared cache_hash)
 * and an LRU list of unpinned entries, filled by worker threads. Only user threads touch it, and they run one at
 * a time, so it needs no lock; what can change while a thread sleeps in a worker call is handled explicitly. */
#include "content.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <st.h>

#include "cache.h"
#include "runtime/rt.h"

struct content {
    uint64_t hash;
    struct content *chain;              /* next entry in the same bucket */
    struct content *lru_prev, *lru_next; /* on the LRU list while cached and unpinned */
    int pins;
    int cached;    /* in the table and counted in `used`; 0 for a one-off copy freed at its last release */
    int loading;   /* a worker is filling `data`; threads wanting it wait on `loaded` */
    int failed;    /* the read failed: the entry left the table, its waiters give up */
    st_cond_t loaded;
    size_t size, key_len;
    char *data;    /* points into this allocation, after the key */
    char key[];
};

static struct {
    struct content **buckets;
    size_t nbuckets;
    size_t capacity, used;
    struct content *lru_head, *lru_tail; /* most and least recently released */
    struct content_stats stats;
} cc;

int content_init(size_t capacity)
{
    /* About one bucket per 4 KiB of budget (the SPECweb99 mean file is ~15 KiB), a power of two. */
    size_t n = 1024;
    while (n < capacity / 4096 && n < ((size_t)1 << 22))
        n <<= 1;
    cc.buckets = calloc(n, sizeof *cc.buckets);
    if (!cc.buckets)
        return -1;
    cc.nbuckets = n;
    cc.capacity = capacity;
    return 0;
}

static struct content **bucket(uint64_t hash)
{
    return &cc.buckets[hash & (cc.nbuckets - 1)];
}

static struct content *find(uint64_t hash, const char *key, size_t len)
{
    for (struct content *c = *bucket(hash); c; c = c->chain)
        if (c->hash == hash && c->key_len == len && memcmp(c->key, key, len) == 0)
            return c;
    return NULL;
}

static void table_remove(struct content *c)
{
    struct content **link = bucket(c->hash);
    while (*link != c)
        link = &(*link)->chain;
    *link = c->chain;
    cc.used -= c->size;
    c->cached = 0;
}

static void lru_unlink(struct content *c)
{
    if (c->lru_prev)
        c->lru_prev->lru_next = c->lru_next;
    else
        cc.lru_head = c->lru_next;
    if (c->lru_next)
        c->lru_next->lru_prev = c->lru_prev;
    else
        cc.lru_tail = c->lru_prev;
    c->lru_prev = c->lru_next = NULL;
}

static void lru_push_head(struct content *c)
{
    c->lru_prev = NULL;
    c->lru_next = cc.lru_head;
    if (cc.lru_head)
        cc.lru_head->lru_prev = c;
    cc.lru_head = c;
    if (!cc.lru_tail)
        cc.lru_tail = c;
}

/* Evicts least recently used unpinned files until `size` more bytes fit; returns 0 if they cannot (the file is
 * bigger than the budget, or what is left is all pinned by threads sending it). */
static int make_room(size_t size)
{
    if (size > cc.capacity)
        return 0;
    while (cc.used + size > cc.capacity && cc.lru_tail) {
        struct content *victim = cc.lru_tail;
        lru_unlink(victim);
        table_remove(victim);
        free(victim);
        cc.stats.evictions++;
    }
    return cc.used + size <= cc.capacity;
}

static void pin(struct content *c)
{
    if (c->pins++ == 0 && c->cached)
        lru_unlink(c);
}

void content_release(struct content *c)
{
    if (--c->pins > 0)
        return;
    if (c->cached)
        lru_push_head(c);
    else
        free(c);
}

/* A miss: a new pinned entry, in the table if there is room, filled by a worker. */
static struct content *load(uint64_t hash, const char *key, size_t len, int fd, size_t size)
{
    struct content *c = calloc(1, sizeof *c + len + size);
    if (!c)
        return NULL;
    c->hash = hash;
    c->key_len = len;
    memcpy(c->key, key, len);
    c->data = c->key + len;
    c->size = size;
    c->pins = 1;
    if (make_room(size) && (c->loaded = st_cond_new())) {
        c->cached = 1;
        c->loading = 1;
        c->chain = *bucket(hash);
        *bucket(hash) = c;
        cc.used += size;
    } else {
        cc.stats.uncached++;
    }

    ssize_t n = rt_pread_full(fd, c->data, size, 0); /* this thread sleeps; others may use the table */
    int err = n < 0 ? errno : EIO;
    if (c->loading) {
        c->loading = 0;
        if (n != (ssize_t)size) {
            c->failed = 1;
            table_remove(c);
        }
        st_cond_broadcast(c->loaded); /* removes the waiters from the condition, so it can go */
        st_cond_destroy(c->loaded);
    }
    if (n != (ssize_t)size) {
        content_release(c);
        errno = err;
        return NULL;
    }
    return c;
}

struct content *content_get(const char *path, size_t path_len, int fd, size_t size)
{
    uint64_t hash = cache_hash(path, path_len);
    struct content *c = find(hash, path, path_len);
    if (!c) {
        cc.stats.misses++;
        return load(hash, path, path_len, fd, size);
    }
    cc.stats.hits++;
    pin(c);
    while (c->loading)
        st_cond_wait(c->loaded);
    if (c->failed) {
        content_release(c);
        errno = EIO;
        return NULL;
    }
    return c;
}

const char *content_data(const struct content *c)
{
    return c->data;
}

void content_get_stats(struct content_stats *out)
{
    *out = cc.stats;
    out->bytes = cc.used;
}
