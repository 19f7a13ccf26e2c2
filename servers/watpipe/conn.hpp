// One client connection's state, and the table that creates and destroys connections for all stages.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "counters.hpp"
#include "fdset.hpp"
#include "http.h"
#include "reply.h"

namespace watpipe {

// Milliseconds of CLOCK_MONOTONIC.
inline int64_t now_ms() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Exactly one stage owns a connection at a time (the one whose fd set or job list holds it); ownership moves
// only through a Handoff or the writers' job list, whose mutexes order every access to these fields.
struct Conn {
    int fd;
    int64_t last_active_ms;  // monotonic; refreshed by progress in either direction (idle timeout)

    // Request side (stage 2). Bytes read but not yet parsed stay in `in` (pipelined requests).
    http_parser_state parser;
    char in[4096];
    size_t in_len = 0;

    // Reply side (stages 3 and 4).
    reply out = {};

    Conn(int fd_, int64_t now) : fd(fd_), last_active_ms(now) { http_parser_reset(&parser); }
};

// Creates connections for stage 1 and destroys them for whichever stage owns them. One mutex orders a close()
// before the accept() that may return the same descriptor number, and carries the --max-conns accounting.
class ConnTable {
public:
    ConnTable(int capacity, int max_conns, cache *files);

    Conn *get(int fd) { return conns_[static_cast<size_t>(fd)].get(); }

    // Stage 1: blocks while max-conns connections are open; false once stop() was called.
    bool wait_for_room();
    // Stage 1: accepts without blocking until the backlog is empty or the cap is reached; adds the new
    // descriptors to out. Returns the errno that ended the batch (EAGAIN normally), or 0 at the cap.
    int accept_batch(int listen_fd, FdSet &out, Counters &counters);
    // The owning stage: closes the socket and frees the connection (and its reply's hold on a cached file).
    void close(int fd, Counters &counters);
    // Closes whatever is still open (after every stage has stopped).
    void close_all(Counters &counters);
    void stop();

private:
    std::mutex mu_;
    std::condition_variable room_;
    std::vector<std::unique_ptr<Conn>> conns_;
    cache *files_;
    int max_conns_;
    int active_ = 0;
    bool stopping_ = false;
};

}  // namespace watpipe
