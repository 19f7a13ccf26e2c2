/* epoll(7) backend: the kernel keeps the interest set; each call returns only the ready descriptors. */
#include "ev.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

struct epoll_state {
    int epfd;
    struct epoll_event *events;
};

static int epoll_create_state(struct ev_loop *l)
{
    struct epoll_state *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->events = calloc((size_t)l->capacity, sizeof *s->events);
    l->state = s;
    if (s->epfd < 0 || !s->events) {
        l->backend->destroy(l);
        return -1;
    }
    return 0;
}

static void epoll_destroy(struct ev_loop *l)
{
    struct epoll_state *s = l->state;
    if (s->epfd >= 0)
        close(s->epfd);
    free(s->events);
    free(s);
}

static int epoll_update(struct ev_loop *l, int fd, int old_mask, int new_mask)
{
    struct epoll_state *s = l->state;
    struct epoll_event ev = {
        .events = (new_mask & EV_READ ? EPOLLIN : 0u) | (new_mask & EV_WRITE ? EPOLLOUT : 0u),
        .data.fd = fd,
    };
    int op = !old_mask ? EPOLL_CTL_ADD : new_mask ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
    return epoll_ctl(s->epfd, op, fd, &ev);
}

static int epoll_wait_events(struct ev_loop *l, int timeout_ms)
{
    struct epoll_state *s = l->state;
    int n = epoll_wait(s->epfd, s->events, l->capacity, timeout_ms);
    for (int i = 0; i < n; i++) {
        uint32_t e = s->events[i].events;
        l->fired[i].fd = s->events[i].data.fd;
        l->fired[i].mask = (e & (EPOLLIN | EPOLLERR | EPOLLHUP) ? EV_READ : 0) |
                           (e & (EPOLLOUT | EPOLLERR | EPOLLHUP) ? EV_WRITE : 0);
    }
    return n;
}

const struct ev_backend ev_epoll_backend = {"epoll", epoll_create_state, epoll_destroy, epoll_update, epoll_wait_events};
