/* The Capriccio-like runtime under knot: cooperative user-level threads on one kernel thread (State Threads,
 * poll event system) plus a pool of kernel worker threads that run potentially blocking file operations.
 * Socket I/O uses State Threads' own calls (st_read, st_writev, st_accept, ...), which are Capriccio's socket
 * wrappers: non-blocking sockets, and a wait in the scheduler's poll set on EAGAIN. */
#ifndef KNOT_RT_H
#define KNOT_RT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <st.h>

/* How the sendfile wrapper sends a file on a socket (paper §4.3). */
enum rt_sendfile_mode {
    RT_SENDFILE_NB, /* socket stays non-blocking; a worker sends what fits, polling 1 s once on EWOULDBLOCK */
    RT_SENDFILE_B,  /* the wrapper makes the socket blocking; a worker sends the whole reply in one call */
};

/* Counters since rt_init, and two gauges (worker_queue, workers_busy). */
struct rt_stats {
    uint64_t user_ctx_switches; /* resumptions of a user-level thread after it gave up the CPU (see rt_sched.c) */
    uint64_t poll_calls;        /* poll() calls made by the scheduler */
    uint64_t poll_fds_total;    /* sum of their set sizes: mean poll-set size = poll_fds_total / poll_calls */
    uint64_t worker_jobs;       /* operations completed by worker threads */
    uint64_t worker_queue;      /* operations waiting for a free worker now */
    uint64_t workers_busy;      /* workers running an operation now (possibly blocked in the kernel) */
    uint64_t worker_queue_max;  /* most operations ever waiting for a free worker */
    uint64_t workers_busy_max;  /* most workers ever busy (possibly blocked in the kernel) at once */
    uint64_t worker_polls;      /* knot-nb: poll() calls by workers on a socket that would block */
    uint64_t worker_poll_timeouts; /* ... of which timed out after one second */
};

/* Starts the runtime: State Threads with its poll event system, the counting hooks, `workers` worker threads
 * and the thread that wakes user threads when their operation completes. Call once, from main, before any
 * other rt_ or st_ function; signals blocked by the caller stay blocked in the workers. 0, or -1 + errno. */
int rt_init(int workers, enum rt_sendfile_mode sendfile_mode);

/* Creates a user-level thread with a stack of `stack_size` bytes; NULL + errno on failure. */
st_thread_t rt_thread_create(void *(*start)(void *), void *arg, size_t stack_size);

/* Lets every other runnable user thread run, and the scheduler poll once, before the caller resumes. */
void rt_yield(void);

/* Scheduler rounds so far: a round runs every runnable thread, then polls once. */
uint64_t rt_rounds(void);

void rt_get_stats(struct rt_stats *out);

/* Blocking-looking wrappers. Each hands its work to a worker thread and suspends only the calling user thread
 * until the worker has finished; the result is the system call's (value, or -1 + errno). */

/* Runs fn(arg) on a worker: for a blocking library call made of several system calls (knot opens files this
 * way: openat2 + fstat in one hand-off). */
void rt_call(void (*fn)(void *arg), void *arg);

/* pread until `len` bytes or end of file; returns the bytes read. */
ssize_t rt_pread_full(int fd, void *buf, size_t len, off_t offset);

/* Sends up to `count` bytes of file `fd` from *offset on socket `sock` (a State Threads socket, normally
 * non-blocking), the way rt_init's sendfile mode says; advances *offset. Returns the bytes sent, or -1 +
 * errno (EAGAIN: the socket stayed full; the caller decides whether to retry). */
ssize_t rt_sendfile(st_netfd_t sock, int fd, off_t *offset, size_t count);

#endif
