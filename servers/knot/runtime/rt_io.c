/* The runtime's blocking-looking wrappers: each packs its arguments into a job that a worker thread runs while
 * only the calling user thread sleeps (paper §4.1), including the two sendfile implementations of §4.3. */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "rt_impl.h"

#define NB_POLL_TIMEOUT_MS 1000 /* knot-nb: how long a worker waits for a full socket before giving up */

static enum rt_sendfile_mode sendfile_mode;
static uint64_t worker_polls, worker_poll_timeouts; /* updated by workers: atomic */

void rt_io_init(enum rt_sendfile_mode mode)
{
    sendfile_mode = mode;
}

void rt_io_get_stats(struct rt_stats *out)
{
    out->worker_polls = __atomic_load_n(&worker_polls, __ATOMIC_RELAXED);
    out->worker_poll_timeouts = __atomic_load_n(&worker_poll_timeouts, __ATOMIC_RELAXED);
}

/* In a worker: records a system call's outcome in the job. */
static void set_result(struct rt_job *job, ssize_t result)
{
    job->result = result;
    job->err = result < 0 ? errno : 0;
}

/* In the user thread: runs the job on a worker and returns its outcome as the system call would. */
static ssize_t call(struct rt_job *job)
{
    rt_pool_call(job);
    if (job->result < 0)
        errno = job->err;
    return job->result;
}

struct fn_job {
    struct rt_job job;
    void (*fn)(void *arg);
    void *arg;
};

static void fn_run(struct rt_job *job)
{
    struct fn_job *f = (struct fn_job *)job;
    f->fn(f->arg);
    set_result(job, 0);
}

void rt_call(void (*fn)(void *arg), void *arg)
{
    struct fn_job f = { .job.run = fn_run, .fn = fn, .arg = arg };
    call(&f.job);
}

struct pread_job {
    struct rt_job job;
    int fd;
    char *buf;
    size_t len;
    off_t offset;
};

static void pread_run(struct rt_job *job)
{
    struct pread_job *r = (struct pread_job *)job;
    size_t got = 0;
    while (got < r->len) {
        ssize_t n = pread(r->fd, r->buf + got, r->len - got, r->offset + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_result(job, -1);
            return;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    set_result(job, (ssize_t)got);
}

ssize_t rt_pread_full(int fd, void *buf, size_t len, off_t offset)
{
    struct pread_job r = { .job.run = pread_run, .fd = fd, .buf = buf, .len = len, .offset = offset };
    return call(&r.job);
}

struct sendfile_job {
    struct rt_job job;
    int sock, fd;
    off_t offset;
    size_t count;
};

/* knot-nb, the paper's second non-blocking implementation: send what the socket takes; if it takes nothing,
 * wait in poll for at most one second, then try once more and return whatever that gives (EAGAIN included). */
static void sendfile_nb_run(struct rt_job *job)
{
    struct sendfile_job *s = (struct sendfile_job *)job;
    ssize_t n = sendfile(s->sock, s->fd, &s->offset, s->count);
    if (n < 0 && errno == EAGAIN) {
        struct pollfd p = { .fd = s->sock, .events = POLLOUT };
        __atomic_add_fetch(&worker_polls, 1, __ATOMIC_RELAXED);
        int ready = poll(&p, 1, NB_POLL_TIMEOUT_MS);
        if (ready > 0) {
            n = sendfile(s->sock, s->fd, &s->offset, s->count);
        } else if (ready == 0) {
            __atomic_add_fetch(&worker_poll_timeouts, 1, __ATOMIC_RELAXED);
            errno = EAGAIN;
        }
    }
    set_result(job, n);
}

/* knot-b: the socket is blocking, so one call sends the whole reply (it returns early only if the socket's
 * send timeout expires), blocking this worker on the disk or the socket as long as needed. */
static void sendfile_b_run(struct rt_job *job)
{
    struct sendfile_job *s = (struct sendfile_job *)job;
    set_result(job, sendfile(s->sock, s->fd, &s->offset, s->count));
}

static int set_nonblocking(int fd, int on)
{
    return ioctl(fd, FIONBIO, &on);
}

ssize_t rt_sendfile(st_netfd_t sock, int fd, off_t *offset, size_t count)
{
    int osfd = st_netfd_fileno(sock);
    int blocking = sendfile_mode == RT_SENDFILE_B;
    struct sendfile_job s = {
        .job.run = blocking ? sendfile_b_run : sendfile_nb_run,
        .sock = osfd, .fd = fd, .offset = *offset, .count = count,
    };
    if (blocking && set_nonblocking(osfd, 0) < 0)
        return -1;
    ssize_t n = call(&s.job);
    /* State Threads' own socket calls expect the socket non-blocking again. */
    if (blocking) {
        int err = errno;
        if (set_nonblocking(osfd, 1) < 0)
            return -1;
        errno = err;
    }
    *offset = s.offset;
    return n;
}
