/* The worker pool: kernel threads that run the operations user threads queue, and the hand-off back to the
 * scheduler through an eventfd that a runtime user thread waits on like any socket (paper §4.1). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "rt_impl.h"

struct job_list {
    struct rt_job *head, *tail;
};

static struct {
    pthread_mutex_t lock;      /* guards queue, queued, busy and the counters below */
    pthread_cond_t nonempty;
    struct job_list queue;     /* waiting for a worker, FIFO */
    uint64_t queued, busy;
    uint64_t jobs, queue_max, busy_max;

    pthread_mutex_t done_lock; /* guards done */
    struct job_list done;      /* finished, waiting for the wake-up thread */
    int wake_fd;               /* eventfd: a worker writes to it when `done` becomes non-empty */
    st_netfd_t wake;           /* the same, for State Threads */
} pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .nonempty = PTHREAD_COND_INITIALIZER,
    .done_lock = PTHREAD_MUTEX_INITIALIZER,
    .wake_fd = -1,
};

static void list_push(struct job_list *l, struct rt_job *job)
{
    job->next = NULL;
    if (l->tail)
        l->tail->next = job;
    else
        l->head = job;
    l->tail = job;
}

static struct rt_job *list_pop(struct job_list *l)
{
    struct rt_job *job = l->head;
    l->head = job->next;
    if (!l->head)
        l->tail = NULL;
    return job;
}

/* Hands a finished job back. Only the push that makes the list non-empty writes the eventfd: the wake-up thread
 * takes the whole list at once, so later pushes ride on that wake-up and cost no system call. */
static void finish(struct rt_job *job)
{
    pthread_mutex_lock(&pool.done_lock);
    int was_empty = pool.done.head == NULL;
    list_push(&pool.done, job);
    pthread_mutex_unlock(&pool.done_lock);
    if (was_empty) {
        uint64_t one = 1;
        if (write(pool.wake_fd, &one, sizeof one) != sizeof one) {
            /* Cannot happen short of a bug: the counter would have to reach 2^64-1. Waking nobody would hang. */
            fprintf(stderr, "knot runtime: write(eventfd %d): %s\n", pool.wake_fd, strerror(errno));
            abort();
        }
    }
}

/* A kernel worker thread: runs queued jobs one at a time; a job may block this thread in the kernel (disk
 * reads, blocking sendfile) without stopping the user-level scheduler. */
static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (!pool.queue.head)
            pthread_cond_wait(&pool.nonempty, &pool.lock);
        struct rt_job *job = list_pop(&pool.queue);
        pool.queued--;
        if (++pool.busy > pool.busy_max)
            pool.busy_max = pool.busy;
        pthread_mutex_unlock(&pool.lock);

        job->run(job);
        finish(job);

        pthread_mutex_lock(&pool.lock);
        pool.busy--;
        pool.jobs++;
    }
    return NULL;
}

/* The user thread that makes finished jobs' threads runnable again. It sleeps in the scheduler's poll set on
 * the eventfd, so a completion wakes the scheduler exactly like a readable socket. */
static void *wakeup_main(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t count;
        if (st_read(pool.wake, &count, sizeof count, ST_UTIME_NO_TIMEOUT) != sizeof count) {
            fprintf(stderr, "knot runtime: read(eventfd %d): %s\n", pool.wake_fd, strerror(errno));
            abort();
        }
        pthread_mutex_lock(&pool.done_lock);
        struct rt_job *job = pool.done.head;
        pool.done.head = pool.done.tail = NULL;
        pthread_mutex_unlock(&pool.done_lock);

        while (job) {
            struct rt_job *next = job->next;
            job->done = 1;
            /* State Threads has no resume(thread); interrupting a thread suspended in st_usleep puts it back
             * on the run queue, which is exactly that. */
            st_thread_interrupt(job->waiter);
            job = next;
        }
    }
    return NULL;
}

int rt_pool_start(int workers)
{
    pool.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (pool.wake_fd < 0)
        return -1;
    pool.wake = st_netfd_open(pool.wake_fd);
    if (!pool.wake || !st_thread_create(wakeup_main, NULL, 0, 0))
        return -1;

    /* Workers block every signal, so that signals reach the scheduler's kernel thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024); /* workers run one system call at a time */
    int err = 0;
    for (int i = 0; i < workers && !err; i++) {
        pthread_t tid;
        err = pthread_create(&tid, &attr, worker_main, NULL);
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

void rt_pool_call(struct rt_job *job)
{
    job->waiter = st_thread_self();
    job->done = 0;

    pthread_mutex_lock(&pool.lock);
    list_push(&pool.queue, job);
    if (++pool.queued > pool.queue_max)
        pool.queue_max = pool.queued;
    pthread_cond_signal(&pool.nonempty);
    pthread_mutex_unlock(&pool.lock);

    /* Suspended (not on any queue of the scheduler) until wakeup_main interrupts the sleep. */
    while (!job->done)
        st_usleep(ST_UTIME_NO_TIMEOUT);
}

void rt_pool_get_stats(struct rt_stats *out)
{
    pthread_mutex_lock(&pool.lock);
    out->worker_jobs = pool.jobs;
    out->worker_queue = pool.queued;
    out->workers_busy = pool.busy;
    out->worker_queue_max = pool.queue_max;
    out->workers_busy_max = pool.busy_max;
    pthread_mutex_unlock(&pool.lock);
}
