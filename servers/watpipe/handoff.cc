// Batched hand-off of descriptors between pipeline stages (see handoff.hpp).
#include "handoff.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace watpipe {

int make_wake_eventfd() {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "watpipe: eventfd: %s\n", strerror(errno));
        exit(1);
    }
    return fd;
}

Handoff::Handoff(int capacity) : pending_(capacity), efd_(make_wake_eventfd()) {}

Handoff::~Handoff() { close(efd_); }

void Handoff::signal_locked() {
    if (signalled_) return;
    uint64_t one = 1;
    // An eventfd write of 1 only fails when the counter would overflow, which the flag rules out.
    if (write(efd_, &one, sizeof one) != sizeof one) fprintf(stderr, "watpipe: write(eventfd): %s\n", strerror(errno));
    signalled_ = true;
}

void Handoff::put(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.set(fd);
    signal_locked();
}

void Handoff::put_all(FdSet &batch) {
    if (batch.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    pending_.merge_from(batch);
    signal_locked();
}

void Handoff::wake() {
    std::lock_guard<std::mutex> lock(mu_);
    signal_locked();
}

void Handoff::take(FdSet &own, FdSet &arrived) {
    std::lock_guard<std::mutex> lock(mu_);
    if (signalled_) {
        uint64_t count;
        if (read(efd_, &count, sizeof count) != sizeof count) fprintf(stderr, "watpipe: read(eventfd): %s\n", strerror(errno));
        signalled_ = false;
    }
    arrived.copy_from(pending_);
    own.merge_from(pending_);
}

}  // namespace watpipe
