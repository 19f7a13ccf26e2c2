/* The cache's open on a miss, apart from cache.c so that a server can wrap it at link time (see cache.h). */
#include "cache.h"
#include "path.h"

int cache_open(struct cache *c, int rootfd, const char *path, size_t len, int *fd, off_t *size)
{
    int status;
    while ((status = path_open(rootfd, path, len, fd, size)) == 503 && cache_shed(c))
        ;
    return status;
}
