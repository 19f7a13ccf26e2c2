/* Start-up of the runtime and the scheduler's counters: user-level context switches and poll calls. */
#include <poll.h>
#include <pthread.h>

#include "rt_impl.h"

/* Counted on the scheduler's kernel thread only, so plain integers suffice. */
static uint64_t user_switches, poll_calls, poll_fds;
static pthread_t scheduler_thread;

/* State Threads calls this each time it resumes a user thread that had given up the CPU (to wait for I/O, a
 * worker, a timer, a lock, or to yield). It is not called for the scheduler's own idle thread, nor when a new
 * thread runs for the first time. This is our count of user-level context switches. */
static void count_switch_in(void)
{
    user_switches++;
}

/* State Threads' poll event system calls poll() itself; the knot binary is linked with -Wl,--wrap=poll, so
 * that its call (and any other in the program) comes here first. Calls made on worker threads (knot-nb's one
 * second wait) are not the scheduler's and are counted by the sendfile wrapper instead. */
int __real_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout);

int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    if (pthread_equal(pthread_self(), scheduler_thread)) {
        poll_calls++;
        poll_fds += nfds;
    }
    return __real_poll(fds, nfds, timeout);
}

int rt_init(int workers, enum rt_sendfile_mode mode)
{
    scheduler_thread = pthread_self();
    rt_io_init(mode);
    if (st_set_eventsys(ST_EVENTSYS_POLL) < 0 || st_init() < 0)
        return -1;
    st_set_switch_in_cb(count_switch_in);
    return rt_pool_start(workers);
}

st_thread_t rt_thread_create(void *(*start)(void *), void *arg, size_t stack_size)
{
    return st_thread_create(start, arg, 0, (int)stack_size);
}

/* A zero-length sleep: State Threads moves sleepers whose time has come to the run queue only after the run
 * queue has drained and the idle thread has polled, so everything already runnable goes first. */
void rt_yield(void)
{
    st_usleep(0);
}

#ifdef __SANITIZE_ADDRESS__
/* LeakSanitizer scans the stacks of kernel threads but not State Threads' stacks (plain mmap regions), so State
 * Threads' own records that only those stacks point to would be reported as leaks. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:_st_stack_new\nleak:st_init\n";
}
#endif

uint64_t rt_rounds(void)
{
    return poll_calls;
}

void rt_get_stats(struct rt_stats *out)
{
    out->user_ctx_switches = user_switches;
    out->poll_calls = poll_calls;
    out->poll_fds_total = poll_fds;
    rt_pool_get_stats(out);
    rt_io_get_stats(out);
}
