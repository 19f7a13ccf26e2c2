/* Sends the shared cache's file opening to the runtime's worker threads: knot is linked with
 * -Wl,--wrap=path_open, so cache_get's call on a miss (openat2 + fstat, which may wait for the disk) lands here,
 * the way Capriccio intercepts the system calls of unmodified code. */
#include "path.h"
#include "runtime/rt.h"

int __real_path_open(int rootfd, const char *path, size_t len, int *fd, off_t *size);
int __wrap_path_open(int rootfd, const char *path, size_t len, int *fd, off_t *size);

struct open_call {
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
    o->status = __real_path_open(o->rootfd, o->path, o->len, o->fd, o->size);
}

int __wrap_path_open(int rootfd, const char *path, size_t len, int *fd, off_t *size)
{
    struct open_call o = { rootfd, path, len, fd, size, 0 };
    rt_call(open_on_worker, &o);
    return o.status;
}
