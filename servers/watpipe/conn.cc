// Connection lifetime for all stages: accept, close and the --max-conns cap.
#include "conn.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "net.h"

namespace watpipe {

ConnTable::ConnTable(int capacity, int max_conns, cache *files)
    : conns_(static_cast<size_t>(capacity)), files_(files), max_conns_(max_conns) {}

bool ConnTable::wait_for_room() {
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [this] { return stopping_ || active_ < max_conns_; });
    return !stopping_;
}

int ConnTable::accept_batch(int listen_fd, FdSet &out, Counters &counters) {
    int64_t now = now_ms();
    std::lock_guard<std::mutex> lock(mu_);
    while (active_ < max_conns_) {
        int fd = net_accept(listen_fd);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return errno;
        }
        if (fd >= static_cast<int>(conns_.size())) {  // impossible while the table covers RLIMIT_NOFILE
            fprintf(stderr, "watpipe: accept4 returned fd %d beyond the table\n", fd);
            ::close(fd);
            continue;
        }
        conns_[static_cast<size_t>(fd)] = std::make_unique<Conn>(fd, now);
        active_++;
        counters.accepted++;
        out.set(fd);
    }
    return 0;
}

void ConnTable::close(int fd, Counters &counters) {
    std::unique_ptr<Conn> c;
    {
        std::lock_guard<std::mutex> lock(mu_);
        c = std::move(conns_[static_cast<size_t>(fd)]);
        // Under the lock, so that stage 1 cannot accept a new connection on this number before the slot is free.
        if (::close(fd) != 0) fprintf(stderr, "watpipe: close(%d): %s\n", fd, strerror(errno));
        if (active_-- == max_conns_) room_.notify_one();
    }
    reply_finish(&c->out, files_);
    counters.closed++;
}

void ConnTable::close_all(Counters &counters) {
    for (size_t fd = 0; fd < conns_.size(); fd++) {
        if (conns_[fd]) close(static_cast<int>(fd), counters);
    }
}

void ConnTable::stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    room_.notify_all();
}

}  // namespace watpipe
