/* The cache of open file descriptors and reply headers: a chained hash table with an LRU list of unpinned entries,
 * laid out with indices in one block of memory so that it can be shared between processes. */
#include "cache.h"

#include <stdalign.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "path.h"

#define NIL UINT32_MAX

struct entry {
    uint64_t hash;
    uint32_t chain;          /* next entry in the same bucket */
    uint32_t lru_prev, lru_next;
    uint32_t refs;
    int fd;
    off_t size;
    uint16_t key_len, hdr_len;
    char key[CACHE_KEY_MAX];
    char hdr[CACHE_HDR_MAX];
};

struct cache {
    struct cache_ops ops;
    int rootfd;
    uint32_t capacity, used, nbuckets;
    uint32_t lru_head, lru_tail; /* most and least recently released unpinned entries */
    uint32_t free_head;          /* entries emptied by cache_shed, linked through `chain` */
    struct cache_stats stats;
    /* then the buckets (entry index or NIL) and the entries, at offsets computed from `capacity` */
};

uint64_t cache_hash(const char *key, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint32_t bucket_count(uint32_t capacity)
{
    uint32_t n = 1;
    while (n < 2 * (uint64_t)capacity && n < (1u << 31))
        n <<= 1;
    return n;
}

static size_t align_up(size_t n, size_t a)
{
    return (n + a - 1) / a * a;
}

static size_t buckets_offset(void)
{
    return align_up(sizeof(struct cache), alignof(struct entry));
}

static size_t entries_offset(uint32_t nbuckets)
{
    return buckets_offset() + align_up(nbuckets * sizeof(uint32_t), alignof(struct entry));
}

size_t cache_bytes(uint32_t capacity)
{
    return entries_offset(bucket_count(capacity)) + (size_t)capacity * sizeof(struct entry);
}

static uint32_t *bucket(struct cache *c, uint64_t hash)
{
    return (uint32_t *)((char *)c + buckets_offset()) + (hash & (c->nbuckets - 1));
}

static struct entry *entry(struct cache *c, uint32_t i)
{
    return (struct entry *)((char *)c + entries_offset(c->nbuckets)) + i;
}

struct cache *cache_init(void *mem, uint32_t capacity, int rootfd, const struct cache_ops *ops)
{
    struct cache *c = mem;
    memset(c, 0, sizeof *c);
    if (ops)
        c->ops = *ops;
    c->rootfd = rootfd;
    c->capacity = capacity;
    c->nbuckets = bucket_count(capacity);
    c->lru_head = c->lru_tail = c->free_head = NIL;
    for (uint32_t b = 0; b < c->nbuckets; b++)
        *bucket(c, b) = NIL;
    return c;
}

uint32_t cache_default_capacity(long nofile, long conns, int caches)
{
    long left = nofile - conns - CACHE_FD_RESERVE;
    long file_max;
    FILE *f = fopen("/proc/sys/fs/file-max", "r");
    if (f && fscanf(f, "%ld", &file_max) == 1 && file_max / 4 / caches < left)
        left = file_max / 4 / caches;
    if (f)
        fclose(f);
    if (left > UINT32_MAX / 2)
        left = UINT32_MAX / 2;
    return left > 16 ? (uint32_t)left : 16;
}

static void lock(struct cache *c)
{
    if (c->ops.lock)
        c->ops.lock(c->ops.arg);
}

static void unlock(struct cache *c)
{
    if (c->ops.unlock)
        c->ops.unlock(c->ops.arg);
}

static void lru_unlink(struct cache *c, uint32_t i)
{
    struct entry *e = entry(c, i);
    if (e->lru_prev != NIL)
        entry(c, e->lru_prev)->lru_next = e->lru_next;
    else
        c->lru_head = e->lru_next;
    if (e->lru_next != NIL)
        entry(c, e->lru_next)->lru_prev = e->lru_prev;
    else
        c->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NIL;
}

static void lru_push_head(struct cache *c, uint32_t i)
{
    struct entry *e = entry(c, i);
    e->lru_prev = NIL;
    e->lru_next = c->lru_head;
    if (c->lru_head != NIL)
        entry(c, c->lru_head)->lru_prev = i;
    c->lru_head = i;
    if (c->lru_tail == NIL)
        c->lru_tail = i;
}

static uint32_t find(struct cache *c, uint64_t hash, const char *key, size_t len)
{
    for (uint32_t i = *bucket(c, hash); i != NIL; i = entry(c, i)->chain) {
        struct entry *e = entry(c, i);
        if (e->hash == hash && e->key_len == len && memcmp(e->key, key, len) == 0)
            return i;
    }
    return NIL;
}

static void bucket_remove(struct cache *c, uint32_t i)
{
    uint32_t *link = bucket(c, entry(c, i)->hash);
    while (*link != i)
        link = &entry(c, *link)->chain;
    *link = entry(c, i)->chain;
}

/* A free entry: a shed or never-used one, else the least recently used unpinned one (its fd is closed). NIL if
 * none. */
static uint32_t take_slot(struct cache *c)
{
    if (c->free_head != NIL) {
        uint32_t i = c->free_head;
        c->free_head = entry(c, i)->chain;
        return i;
    }
    if (c->used < c->capacity)
        return c->used++;
    uint32_t i = c->lru_tail;
    if (i == NIL)
        return NIL;
    lru_unlink(c, i);
    bucket_remove(c, i);
    close(entry(c, i)->fd);
    c->stats.evictions++;
    return i;
}

int cache_shed(struct cache *c)
{
    lock(c);
    uint32_t i = c->lru_tail;
    if (i != NIL) {
        lru_unlink(c, i);
        bucket_remove(c, i);
        close(entry(c, i)->fd);
        entry(c, i)->fd = -1;
        entry(c, i)->chain = c->free_head;
        c->free_head = i;
        c->stats.shed++;
    }
    unlock(c);
    return i != NIL;
}

int cache_open(struct cache *c, const char *path, size_t len, int *fd, off_t *size)
{
    int status;
    while ((status = path_open(c->rootfd, path, len, fd, size)) == 503 && cache_shed(c))
        ;
    return status;
}

/* Pins entry i for the caller (called with the lock held). */
static void pin(struct cache *c, uint32_t i, struct cache_ref *ref)
{
    struct entry *e = entry(c, i);
    if (e->refs++ == 0)
        lru_unlink(c, i);
    ref->slot = (int32_t)i;
    ref->fd = e->fd;
    ref->size = e->size;
    ref->hdr = e->hdr;
    ref->hdr_len = e->hdr_len;
}

int cache_get(struct cache *c, const char *path, size_t len, struct cache_ref *ref)
{
    uint64_t hash = cache_hash(path, len);
    int cacheable = len <= CACHE_KEY_MAX;
    if (cacheable) {
        lock(c);
        uint32_t i = find(c, hash, path, len);
        if (i != NIL) {
            c->stats.hits++;
            pin(c, i, ref);
            unlock(c);
            return 0;
        }
        c->stats.misses++;
        unlock(c);
    }

    int fd;
    off_t size;
    int status = c->ops.open ? c->ops.open(c->ops.arg, c, path, len, &fd, &size)
                             : cache_open(c, path, len, &fd, &size);
    if (status)
        return status;
    ref->slot = -1;
    ref->fd = fd;
    ref->size = size;
    ref->hdr = ref->own_hdr;
    ref->hdr_len = http_format_header(ref->own_hdr, sizeof ref->own_hdr, size, http_content_type(path, len));

    lock(c);
    uint32_t i = cacheable ? find(c, hash, path, len) : NIL;
    if (i != NIL) { /* another thread or process cached it meanwhile */
        pin(c, i, ref);
        unlock(c);
        close(fd);
        return 0;
    }
    i = cacheable ? take_slot(c) : NIL;
    if (i == NIL) {
        c->stats.uncached++;
        unlock(c);
        return 0;
    }
    struct entry *e = entry(c, i);
    e->hash = hash;
    e->fd = fd;
    e->size = size;
    e->lru_prev = e->lru_next = NIL;
    e->key_len = (uint16_t)len;
    memcpy(e->key, path, len);
    e->hdr_len = (uint16_t)ref->hdr_len;
    memcpy(e->hdr, ref->own_hdr, ref->hdr_len);
    e->chain = *bucket(c, hash);
    *bucket(c, hash) = i;
    e->refs = 1; /* pinned by this ref, hence not on the LRU list */
    ref->slot = (int32_t)i;
    ref->hdr = e->hdr;
    unlock(c);
    return 0;
}

void cache_release(struct cache *c, struct cache_ref *ref)
{
    if (ref->slot < 0) {
        close(ref->fd);
    } else {
        lock(c);
        uint32_t i = (uint32_t)ref->slot;
        if (--entry(c, i)->refs == 0)
            lru_push_head(c, i);
        unlock(c);
    }
    ref->fd = -1;
    ref->slot = -1;
}

void cache_get_stats(struct cache *c, struct cache_stats *out)
{
    lock(c);
    *out = c->stats;
    unlock(c);
}

void cache_close_all(struct cache *c)
{
    lock(c);
    for (uint32_t i = 0; i < c->used; i++)
        if (entry(c, i)->fd >= 0) /* shed entries' are closed already */
            close(entry(c, i)->fd);
    c->used = 0;
    c->lru_head = c->lru_tail = c->free_head = NIL;
    for (uint32_t b = 0; b < c->nbuckets; b++)
        *bucket(c, b) = NIL;
    unlock(c);
}
