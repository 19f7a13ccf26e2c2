/* Runs the shared cache's opens on the runtime's worker threads (knot's cache_ops.open): a miss's openat2 + fstat
 * may wait for the disk, and on the scheduler's kernel thread that wait would stall every user-level thread — the
 * blocking calls Capriccio moves off its scheduler. The whole of cache_open runs on the worker, the retries after
 * shedding cached descriptors included: sent back through the queue, each would wait behind every disk job queued
 * meanwhile. */
#include "knot.h"
#include "runtime/rt.h"

struct open_call {
    struct cache *c;
    const char *path;
    size_t len;
    int *fd;
    off_t *size;
    int status;
};

static void open_on_worker(void *arg)
{
    struct open_call *o = arg;
    o->status = cache_open(o->c, o->path, o->len, o->fd, o->size);
}

int disk_cache_open(void *arg, struct cache *c, const char *path, size_t len, int *fd, off_t *size)
{
    (void)arg;
    struct open_call o = { c, path, len, fd, size, 0 };
    rt_call(open_on_worker, &o);
    return o.status;
}
