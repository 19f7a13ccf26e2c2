/* The event-mechanism interface of userver's loop: one small table of functions, one file per backend. */
#ifndef USERVER_EV_H
#define USERVER_EV_H

#include <stdint.h>

#define EV_READ 1
#define EV_WRITE 2

struct ev_fired {
    int fd;
    int mask; /* EV_READ and/or EV_WRITE; errors and hang-ups are reported as both */
};

struct ev_loop;

/* A backend keeps its own state in loop->state and reports ready descriptors in loop->fired. */
struct ev_backend {
    const char *name;
    int (*create)(struct ev_loop *l);
    void (*destroy)(struct ev_loop *l);
    /* Changes fd's interest from old_mask to new_mask (0 = not watched). */
    int (*update)(struct ev_loop *l, int fd, int old_mask, int new_mask);
    /* Waits up to timeout_ms; fills l->fired and returns how many, or -1 + errno. */
    int (*wait)(struct ev_loop *l, int timeout_ms);
};

struct ev_loop {
    const struct ev_backend *backend;
    int capacity;          /* descriptors 0 .. capacity-1 may be watched */
    uint8_t *mask;         /* interest per descriptor */
    int watched;           /* descriptors with a non-zero mask: the interest-set size */
    struct ev_fired *fired;
    void *state;
    uint64_t calls;        /* waits done */
    uint64_t fds_total;    /* sum of `watched` over the waits */
};

extern const struct ev_backend ev_select_backend, ev_poll_backend, ev_epoll_backend;

/* Creates a loop on the backend named "select", "poll" or "epoll"; NULL + errno (EINVAL for an unknown name). */
struct ev_loop *ev_create(const char *backend, int capacity);
void ev_free(struct ev_loop *l);

/* Sets fd's interest (EV_READ|EV_WRITE, 0 to stop watching); 0 or -1 + errno. */
int ev_set(struct ev_loop *l, int fd, int mask);

/* Waits for events; returns how many are in l->fired (0 on timeout or signal), -1 + errno on failure. */
int ev_wait(struct ev_loop *l, int timeout_ms);

#endif
