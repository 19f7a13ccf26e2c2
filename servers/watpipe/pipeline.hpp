// The four-stage pipeline of the paper's §6: accept → read requests → select writable → writer pool.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "conn.hpp"
#include "counters.hpp"
#include "fdset.hpp"
#include "handoff.hpp"

namespace watpipe {

struct Options {
    int max_conns;
    double idle_timeout_s;
    int writers;
    int fd_capacity;  // one more than the highest descriptor the process may hold (RLIMIT_NOFILE)
};

// Connections move between the stages as descriptors in fd sets. Stage 2 owns its read set, stage 3 its write
// set; each hands work to the next stage in one batch per pass through a Handoff, where the receiving stage merges
// it into its own set before its next select. Stage 3 and the writers (stage 4) alternate: stage 3 publishes the
// descriptors select found writable and sleeps until the writers have claimed all of them; it never selects while
// jobs wait, and the writers get no new jobs while it selects. A writer still busy with (or blocked on disk in)
// a claimed job does not hold stage 3 back: its connection is out of every set until the writer hands it on, so a
// writer stuck in I/O costs one writer, not the pipeline.
class Pipeline {
public:
    Pipeline(const Options &opt, int listen_fd, cache *files, Counters &counters);
    ~Pipeline();
    Pipeline(const Pipeline &) = delete;
    Pipeline &operator=(const Pipeline &) = delete;

    void start();
    // Stops every stage, waits for the threads and closes the connections still open.
    void stop();

private:
    void accept_stage();    // stage 1
    void read_stage();      // stage 2
    void select_stage();    // stage 3
    void writer(int id);    // stage 4

    // Stage 2.
    void read_request(int fd);
    void parse_buffered(Conn &c);
    // Stage 3.
    void run_batch(std::vector<int> &batch);
    // Stage 4.
    void write_reply(int fd);

    // Stages 2 and 3: closes the connections of `set` that made no progress for the idle timeout.
    void expire_idle(FdSet &set, int64_t now);

    const Options opt_;
    const int listen_fd_;
    cache *files_;
    Counters &counters_;
    ConnTable table_;

    std::atomic<bool> stopping_{false};
    int stop_efd_;          // wakes stage 1 from poll at shutdown
    Handoff to_read_;       // into stage 2: new connections (stage 1), connections whose reply is written (stage 4)
    Handoff to_select_;     // into stage 3: parsed requests (stage 2), partly written replies (stage 4)

    // Stage 2's own sets: its interest set, select's scratch copy, newcomers of the last merge, the batch for stage 3.
    FdSet read_set_, read_ready_, read_arrived_, read_out_;
    // Stage 3's own sets: its interest set, select's scratch copies, newcomers of the last merge.
    FdSet write_set_, write_ready_, write_wake_, write_arrived_;

    // The batch stage 3 hands to stage 4: jobs_[next_job_..] are still unclaimed.
    std::mutex jobs_mu_;
    std::condition_variable jobs_cv_;     // writers wait for jobs
    std::condition_variable claimed_cv_;  // stage 3 waits for the batch to be claimed
    std::vector<int> jobs_;
    size_t next_job_ = 0;

    std::vector<std::thread> threads_;
};

}  // namespace watpipe
