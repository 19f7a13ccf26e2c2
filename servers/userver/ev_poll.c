/* poll(2) backend (the paper's): a dense pollfd array handed whole to every call, with an index per descriptor. */
#include "ev.h"

#include <poll.h>
#include <stdlib.h>

struct poll_state {
    struct pollfd *fds; /* fds[0 .. l->watched-1] */
    int *slot;          /* descriptor → index in fds, -1 if not watched */
};

static int poll_create(struct ev_loop *l)
{
    struct poll_state *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->fds = calloc((size_t)l->capacity, sizeof *s->fds);
    s->slot = malloc((size_t)l->capacity * sizeof *s->slot);
    l->state = s;
    if (!s->fds || !s->slot) {
        l->backend->destroy(l);
        return -1;
    }
    for (int i = 0; i < l->capacity; i++)
        s->slot[i] = -1;
    return 0;
}

static void poll_destroy(struct ev_loop *l)
{
    struct poll_state *s = l->state;
    free(s->fds);
    free(s->slot);
    free(s);
}

static short poll_events(int mask)
{
    return (short)((mask & EV_READ ? POLLIN : 0) | (mask & EV_WRITE ? POLLOUT : 0));
}

static int poll_update(struct ev_loop *l, int fd, int old_mask, int new_mask)
{
    struct poll_state *s = l->state;
    if (!old_mask) { /* append */
        s->slot[fd] = l->watched;
        s->fds[l->watched] = (struct pollfd){.fd = fd, .events = poll_events(new_mask)};
    } else if (new_mask) {
        s->fds[s->slot[fd]].events = poll_events(new_mask);
    } else { /* move the last entry into the hole */
        int hole = s->slot[fd], last = l->watched - 1;
        s->fds[hole] = s->fds[last];
        s->slot[s->fds[hole].fd] = hole;
        s->slot[fd] = -1;
    }
    return 0;
}

static int poll_wait(struct ev_loop *l, int timeout_ms)
{
    struct poll_state *s = l->state;
    int n = poll(s->fds, (nfds_t)l->watched, timeout_ms);
    if (n <= 0)
        return n;
    int count = 0;
    for (int i = 0; i < l->watched && count < n; i++) {
        short re = s->fds[i].revents;
        if (!re)
            continue;
        /* Errors and hang-ups go to both handlers: whichever runs next sees the failure in its syscall. */
        int mask = (re & (POLLIN | POLLERR | POLLHUP | POLLNVAL) ? EV_READ : 0) |
                   (re & (POLLOUT | POLLERR | POLLHUP | POLLNVAL) ? EV_WRITE : 0);
        l->fired[count].fd = s->fds[i].fd;
        l->fired[count].mask = mask;
        count++;
    }
    return count;
}

const struct ev_backend ev_poll_backend = {"poll", poll_create, poll_destroy, poll_update, poll_wait};
