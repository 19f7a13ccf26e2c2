/* Sends the shared cache's file opening to the runtime's worker threads: knot is linked with
 * -Wl,--wrap=cache_open, so cache_get's call on a miss (openat2 + fstat, which may wait for the disk, and the
 * retries after shedding cached descriptors when the table is full) lands here, the way Capriccio intercepts the
 * system calls of unmodified code. The retries stay on the worker: sent back through the queue, each would wait
 * behind every disk job queued meanwhile. */
#include "cache.h"
#include "runtime/rt.h"

int __real_cache_open(struct cache *c, int rootfd, const char *path, size_t len, int *fd, off_t *size);
int __wrap_cache_open(struct cache *c, int rootfd, const char *path, size_t len, int *fd, off_t *size);

struct open_call {
    struct cache *c;
    int rootfd;
    const char *path;
    size_t len;
    int *fd;
    off_t *size;
    int status;
};

static void open_on_worker(void *arg)
{
    struct open_call *o = arg;
    o->status = __real_cache_open(o->c, o->rootfd, o->path, o->len, o->fd, o->size);
}

int __wrap_cache_open(struct cache *c, int rootfd, const char *path, size_t len, int *fd, off_t *size)
{
    struct open_call o = { c, rootfd, path, len, fd, size, 0 };
    rt_call(open_on_worker, &o);
    return o.status;
}
