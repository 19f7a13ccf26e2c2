// The four pipeline stages and how they hand connections to each other (see pipeline.hpp).
#include "pipeline.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "stats.h"

namespace watpipe {

// How often stages 2 and 3 look for idle connections, and their longest sleep in select.
static const int64_t kScanMs = 1000;

Pipeline::Pipeline(const Options &opt, int listen_fd, cache *files, Counters &counters)
    : opt_(opt), listen_fd_(listen_fd), files_(files), counters_(counters), table_(opt.fd_capacity, opt.max_conns, files),
      to_read_(opt.fd_capacity), to_select_(opt.fd_capacity), read_set_(opt.fd_capacity), read_ready_(opt.fd_capacity),
      read_arrived_(opt.fd_capacity), read_out_(opt.fd_capacity), write_set_(opt.fd_capacity),
      write_ready_(opt.fd_capacity), write_wake_(opt.fd_capacity), write_arrived_(opt.fd_capacity) {
    stop_efd_ = make_wake_eventfd();
}

Pipeline::~Pipeline() { close(stop_efd_); }

void Pipeline::start() {
    threads_.emplace_back(&Pipeline::accept_stage, this);
    threads_.emplace_back(&Pipeline::read_stage, this);
    threads_.emplace_back(&Pipeline::select_stage, this);
    for (int i = 0; i < opt_.writers; i++) threads_.emplace_back(&Pipeline::writer, this, i);
}

void Pipeline::stop() {
    stopping_ = true;
    uint64_t one = 1;
    if (write(stop_efd_, &one, sizeof one) != sizeof one) fprintf(stderr, "watpipe: write(eventfd): %s\n", strerror(errno));
    table_.stop();
    to_read_.wake();
    to_select_.wake();
    {
        std::lock_guard<std::mutex> lock(jobs_mu_);
        jobs_cv_.notify_all();
        claimed_cv_.notify_all();
    }
    for (auto &t : threads_) t.join();
    threads_.clear();
    table_.close_all(counters_);
}

// Stage 1: accepts every waiting connection (until EAGAIN or --max-conns) and hands the batch to stage 2. At the
// cap it stops accepting, leaving clients in the listen backlog, until a connection closes.
void Pipeline::accept_stage() {
    FdSet batch(opt_.fd_capacity);
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_efd_, POLLIN, 0}};
    int64_t next_log = 0;
    while (table_.wait_for_room()) {
        if (poll(fds, 2, -1) < 0) {
            if (errno != EINTR) fprintf(stderr, "watpipe: poll(listen): %s\n", strerror(errno));
            continue;
        }
        if (fds[1].revents != 0) break;
        int err = table_.accept_batch(listen_fd_, batch, counters_);
        to_read_.put_all(batch);
        if (err != 0 && err != EAGAIN && err != EWOULDBLOCK) {
            // Out of descriptors or memory: the backlog keeps the clients; try again shortly instead of spinning,
            // and say so at most once a second.
            if (now_ms() >= next_log) {
                fprintf(stderr, "watpipe: accept4: %s\n", strerror(err));
                next_log = now_ms() + 1000;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
}

// Stage 2: merges newcomers into its read set, serves requests already buffered (pipelining), selects readable
// connections, reads and parses; complete requests leave the read set for stage 3 in one batch per pass.
void Pipeline::read_stage() {
    int wake = to_read_.wake_fd();
    int64_t next_scan = now_ms() + kScanMs;
    while (!stopping_) {
        to_read_.take(read_set_, read_arrived_);
        int64_t now = now_ms();
        read_arrived_.for_each([&](int fd) {
            Conn &c = *table_.get(fd);
            c.last_active_ms = now;
            if (c.in_len > 0) parse_buffered(c);
        });
        to_select_.put_all(read_out_);

        read_ready_.copy_from(read_set_);
        read_ready_.set(wake);
        timeval tv = {kScanMs / 1000, 0};
        int n = select(read_ready_.nfds(), read_ready_.raw(), nullptr, nullptr, &tv);
        counters_.event_calls++;
        counters_.event_fds_total += static_cast<uint64_t>(read_set_.count()) + 1;
        if (n < 0) {
            if (errno != EINTR) fprintf(stderr, "watpipe: select(read, %d fds): %s\n", read_set_.count(), strerror(errno));
            continue;
        }
        read_ready_.for_each([&](int fd) {
            if (fd != wake) read_request(fd);
        });

        now = now_ms();
        if (now >= next_scan) {
            expire_idle(read_set_, now);
            next_scan = now + kScanMs;
        }
    }
}

void Pipeline::read_request(int fd) {
    Conn &c = *table_.get(fd);
    ssize_t n = read(fd, c.in + c.in_len, sizeof c.in - c.in_len);
    if (n > 0) {
        c.in_len += static_cast<size_t>(n);
        c.last_active_ms = now_ms();
        parse_buffered(c);
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n < 0) {
        if (errno != ECONNRESET) fprintf(stderr, "watpipe: read(fd %d): %s\n", fd, strerror(errno));
        counters_.conn_errors++;
    }
    read_set_.clear(fd);
    table_.close(fd, counters_);
}

// Parses the buffered bytes; a complete (or malformed) request gets its reply chosen and moves to stage 3's
// batch. Bytes after the request stay buffered for the next round (pipelined requests, served in order).
void Pipeline::parse_buffered(Conn &c) {
    size_t used = 0;
    http_result r = http_parse(&c.parser, c.in, c.in_len, &used);
    memmove(c.in, c.in + used, c.in_len - used);
    c.in_len -= used;
    if (r == HTTP_AGAIN) return;
    stats counted = {};
    reply_prepare(&c.out, files_, &c.parser.req, !stopping_, &counted);
    counters_.add(counted);
    http_parser_reset(&c.parser);
    read_set_.clear(c.fd);
    read_out_.set(c.fd);
}

// Stage 3: merges new replies into its write set, selects writable connections, and hands them to the writers.
void Pipeline::select_stage() {
    int wake = to_select_.wake_fd();
    std::vector<int> batch;
    int64_t next_scan = now_ms() + kScanMs;
    while (!stopping_) {
        to_select_.take(write_set_, write_arrived_);

        write_ready_.copy_from(write_set_);
        write_wake_.clear_all();
        write_wake_.set(wake);
        int nfds = write_ready_.nfds() > wake ? write_ready_.nfds() : wake + 1;
        timeval tv = {kScanMs / 1000, 0};
        int n = select(nfds, write_wake_.raw(), write_ready_.raw(), nullptr, &tv);
        counters_.event_calls++;
        counters_.event_fds_total += static_cast<uint64_t>(write_set_.count()) + 1;
        if (n < 0) {
            if (errno != EINTR) fprintf(stderr, "watpipe: select(write, %d fds): %s\n", write_set_.count(), strerror(errno));
            continue;
        }
        batch.clear();
        write_ready_.for_each([&](int fd) {
            write_set_.clear(fd);
            batch.push_back(fd);
        });
        if (!batch.empty()) run_batch(batch);

        int64_t now = now_ms();
        if (now >= next_scan) {
            expire_idle(write_set_, now);
            next_scan = now + kScanMs;
        }
    }
}

// Publishes a batch of writable connections to the writers and sleeps until every one has been claimed.
void Pipeline::run_batch(std::vector<int> &batch) {
    std::unique_lock<std::mutex> lock(jobs_mu_);
    jobs_.swap(batch);
    next_job_ = 0;
    // Wake only as many writers as there are jobs: a batch of one should not stir fifty threads.
    size_t wake = jobs_.size() < static_cast<size_t>(opt_.writers) ? jobs_.size() : static_cast<size_t>(opt_.writers);
    for (size_t i = 0; i < wake; i++) jobs_cv_.notify_one();
    claimed_cv_.wait(lock, [this] { return stopping_ || next_job_ == jobs_.size(); });
}

// Stage 4: claims one writable connection at a time and writes what the socket takes; the connection then goes
// back to stage 3 (more to write), to stage 2 (reply complete) or is closed.
void Pipeline::writer(int id) {
    for (;;) {
        int fd;
        {
            std::unique_lock<std::mutex> lock(jobs_mu_);
            jobs_cv_.wait(lock, [this] { return stopping_ || next_job_ < jobs_.size(); });
            if (stopping_) return;
            fd = jobs_[next_job_++];
            if (next_job_ == jobs_.size()) claimed_cv_.notify_one();
        }
        counters_.writer_jobs[id]++;
        write_reply(fd);
    }
}

void Pipeline::write_reply(int fd) {
    Conn &c = *table_.get(fd);
    stats counted = {};
    reply_progress p = reply_send(&c.out, fd, &counted);
    counters_.add(counted);
    if (counted.bytes != 0) c.last_active_ms = now_ms();
    if (p == REPLY_AGAIN) {
        to_select_.put(fd);
        return;
    }
    if (p == REPLY_FAILED) {
        // EPIPE/ECONNRESET are clients that left, ECANCELED a reply cut short by the stop; anything else is worth a
        // line in the log.
        if (errno != EPIPE && errno != ECONNRESET && errno != ECANCELED) fprintf(stderr, "watpipe: sendmsg/sendfile(fd %d): %s\n", fd, strerror(errno));
        counters_.conn_errors++;
        table_.close(fd, counters_);
        return;
    }
    reply_finish(&c.out, files_);
    if (reply_keep_open(&c.out, fd))
        to_read_.put(fd);
    else
        table_.close(fd, counters_);
}

void Pipeline::expire_idle(FdSet &set, int64_t now) {
    int64_t limit = static_cast<int64_t>(opt_.idle_timeout_s * 1000);
    set.for_each([&](int fd) {
        if (now - table_.get(fd)->last_active_ms < limit) return;
        set.clear(fd);
        counters_.timeouts_idle++;
        table_.close(fd, counters_);
    });
}

}  // namespace watpipe
