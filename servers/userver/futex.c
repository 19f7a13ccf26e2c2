/* A futex mutex for the cache shared by shared-SYMPED processes (three states: free, held, held with waiters). */
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "userver.h"

/* Not FUTEX_PRIVATE_FLAG: the processes have separate address spaces sharing this word through MAP_SHARED. */
static void futex(atomic_uint *word, int op, unsigned val)
{
    syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

void futex_lock(void *arg)
{
    atomic_uint *word = arg;
    unsigned c = 0;
    if (atomic_compare_exchange_strong(word, &c, 1))
        return; /* uncontended: no system call */
    if (c != 2)
        c = atomic_exchange(word, 2);
    while (c != 0) {
        futex(word, FUTEX_WAIT, 2);
        c = atomic_exchange(word, 2);
    }
}

void futex_unlock(void *arg)
{
    atomic_uint *word = arg;
    if (atomic_fetch_sub(word, 1) != 1) { /* there were waiters */
        atomic_store(word, 0);
        futex(word, FUTEX_WAKE, 1);
    }
}
