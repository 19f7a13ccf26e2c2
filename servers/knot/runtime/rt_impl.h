/* Internal interface among the runtime's files: the scheduler (rt_sched.c), the worker pool (rt_pool.c) and the
 * wrappers (rt_io.c). */
#ifndef KNOT_RT_IMPL_H
#define KNOT_RT_IMPL_H

#include <sys/types.h>
#include <st.h>
#include "rt.h"

/* One queued operation. Wrappers embed it as the first member of a struct holding the call's arguments; it
 * lives on the calling user thread's stack, which is safe because that thread sleeps until the job is done. */
struct rt_job {
    void (*run)(struct rt_job *job); /* executed by a worker kernel thread: sets result and err */
    ssize_t result;
    int err;                         /* errno when result is -1 */
    st_thread_t waiter;              /* the user thread to wake */
    int done;
    struct rt_job *next;
};

int rt_pool_start(int workers);

/* Queues `job` for a worker and suspends the calling user thread until a worker has run it. */
void rt_pool_call(struct rt_job *job);

void rt_pool_get_stats(struct rt_stats *out);

void rt_io_init(enum rt_sendfile_mode mode);
void rt_io_get_stats(struct rt_stats *out);

#endif
