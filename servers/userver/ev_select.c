/* select(2) backend with bitmaps allocated for the real descriptor count, not FD_SETSIZE. */
#include "ev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

/* The kernel reads fd_set as an array of longs of (nfds + bits - 1) / bits words, whatever FD_SETSIZE says,
 * so larger sets are plain long arrays (FD_SET itself would check against FD_SETSIZE). */
#define WORD_BITS (8 * (int)sizeof(unsigned long))

struct select_state {
    size_t words;
    int maxfd;                           /* highest watched descriptor, -1 if none */
    unsigned long *want_rd, *want_wr;    /* interest, kept across calls */
    unsigned long *got_rd, *got_wr;      /* copies handed to select, which overwrites them */
};

static void bit_set(unsigned long *set, int fd, int on)
{
    unsigned long bit = 1UL << (fd % WORD_BITS);
    if (on)
        set[fd / WORD_BITS] |= bit;
    else
        set[fd / WORD_BITS] &= ~bit;
}

static int bit_get(const unsigned long *set, int fd)
{
    return (set[fd / WORD_BITS] >> (fd % WORD_BITS)) & 1;
}

static int select_create(struct ev_loop *l)
{
    struct select_state *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->words = (size_t)(l->capacity + WORD_BITS - 1) / WORD_BITS;
    s->maxfd = -1;
    s->want_rd = calloc(s->words, sizeof(unsigned long));
    s->want_wr = calloc(s->words, sizeof(unsigned long));
    s->got_rd = calloc(s->words, sizeof(unsigned long));
    s->got_wr = calloc(s->words, sizeof(unsigned long));
    l->state = s;
    if (!s->want_rd || !s->want_wr || !s->got_rd || !s->got_wr) {
        l->backend->destroy(l);
        return -1;
    }
    return 0;
}

static void select_destroy(struct ev_loop *l)
{
    struct select_state *s = l->state;
    free(s->want_rd);
    free(s->want_wr);
    free(s->got_rd);
    free(s->got_wr);
    free(s);
}

static int select_update(struct ev_loop *l, int fd, int old_mask, int new_mask)
{
    struct select_state *s = l->state;
    (void)old_mask;
    bit_set(s->want_rd, fd, new_mask & EV_READ);
    bit_set(s->want_wr, fd, new_mask & EV_WRITE);
    if (new_mask && fd > s->maxfd) {
        s->maxfd = fd;
    } else if (!new_mask && fd == s->maxfd) { /* l->mask[fd] still holds the old mask */
        do
            s->maxfd--;
        while (s->maxfd >= 0 && !l->mask[s->maxfd]);
    }
    return 0;
}

static int select_wait(struct ev_loop *l, int timeout_ms)
{
    struct select_state *s = l->state;
    size_t used = (size_t)(s->maxfd + WORD_BITS) / WORD_BITS;
    memcpy(s->got_rd, s->want_rd, used * sizeof(unsigned long));
    memcpy(s->got_wr, s->want_wr, used * sizeof(unsigned long));
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    int n = select(s->maxfd + 1, (fd_set *)s->got_rd, (fd_set *)s->got_wr, NULL, timeout_ms < 0 ? NULL : &tv);
    if (n <= 0)
        return n;
    int count = 0;
    for (int fd = 0; fd <= s->maxfd && count < n; fd++) {
        int mask = (bit_get(s->got_rd, fd) ? EV_READ : 0) | (bit_get(s->got_wr, fd) ? EV_WRITE : 0);
        if (mask) {
            l->fired[count].fd = fd;
            l->fired[count].mask = mask;
            count++;
        }
    }
    return count;
}

const struct ev_backend ev_select_backend = {"select", select_create, select_destroy, select_update, select_wait};
