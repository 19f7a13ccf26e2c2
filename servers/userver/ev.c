/* The backend-independent part of the event loop: choosing the backend, interest bookkeeping, call counting. */
#include "ev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ev_loop *ev_create(const char *backend, int capacity)
{
    static const struct ev_backend *const backends[] = {&ev_select_backend, &ev_poll_backend, &ev_epoll_backend};
    const struct ev_backend *be = NULL;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, backend) == 0)
            be = backends[i];
    if (!be) {
        errno = EINVAL;
        return NULL;
    }
    struct ev_loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->backend = be;
    l->capacity = capacity;
    l->mask = calloc((size_t)capacity, 1);
    l->fired = calloc((size_t)capacity, sizeof *l->fired);
    if (!l->mask || !l->fired || be->create(l) != 0) {
        free(l->mask);
        free(l->fired);
        free(l);
        return NULL;
    }
    return l;
}

void ev_free(struct ev_loop *l)
{
    l->backend->destroy(l);
    free(l->mask);
    free(l->fired);
    free(l);
}

int ev_set(struct ev_loop *l, int fd, int mask)
{
    if (fd < 0 || fd >= l->capacity) {
        errno = EBADF;
        return -1;
    }
    int old = l->mask[fd];
    if (old == mask)
        return 0;
    if (l->backend->update(l, fd, old, mask) != 0)
        return -1;
    l->mask[fd] = (uint8_t)mask;
    l->watched += (mask != 0) - (old != 0);
    return 0;
}

int ev_wait(struct ev_loop *l, int timeout_ms)
{
    l->calls++;
    l->fds_total += (uint64_t)l->watched;
    int n = l->backend->wait(l, timeout_ms);
    if (n < 0 && errno == EINTR)
        return 0;
    return n;
}
