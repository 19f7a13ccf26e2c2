// The server's cumulative statistics, updated by every stage without locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "stats.h"

namespace watpipe {

using Counter = std::atomic<uint64_t>;

// The shared core counts into a plain `struct stats`; a stage counts one call's worth into a local one and adds
// it here, so that several threads can count while the signal thread reads.
struct Counters {
    explicit Counters(int writers_) : writers(writers_), writer_jobs(new Counter[static_cast<size_t>(writers_)]()) {}

    // A new field in struct stats must be added to add() and snapshot().
    static_assert(sizeof(stats) == 11 * sizeof(uint64_t), "struct stats changed");

    void add(const stats &s) {
        bump(accepted, s.accepted);
        bump(closed, s.closed);
        bump(requests, s.requests);
        bump(replies, s.replies);
        bump(bytes, s.bytes);
        bump(status_4xx, s.status_4xx);
        bump(status_5xx, s.status_5xx);
        bump(event_calls, s.event_calls);
        bump(event_fds_total, s.event_fds_total);
        bump(timeouts_idle, s.timeouts_idle);
        bump(conn_errors, s.conn_errors);
    }

    stats snapshot() const {
        return {accepted.load(), closed.load(), requests.load(), replies.load(), bytes.load(), status_4xx.load(),
                status_5xx.load(), event_calls.load(), event_fds_total.load(), timeouts_idle.load(),
                conn_errors.load()};
    }

    Counter accepted{0}, closed{0}, requests{0}, replies{0}, bytes{0}, status_4xx{0}, status_5xx{0};
    Counter event_calls{0}, event_fds_total{0};  // select calls of stages 2 and 3, and the sum of their set sizes
    Counter timeouts_idle{0}, conn_errors{0};
    int writers;
    std::unique_ptr<Counter[]> writer_jobs;  // reply-writing jobs (one round of sendmsg/sendfile each) per writer

private:
    static void bump(Counter &c, uint64_t n) {
        if (n != 0) c.fetch_add(n, std::memory_order_relaxed);
    }
};

}  // namespace watpipe
