// The synchronisation point between two stages: producers add descriptors to a pending set, the consuming stage
// merges that set into its own in one batch, and an eventfd in the consumer's select set wakes it when work arrives.
#pragma once

#include <mutex>

#include "fdset.hpp"

namespace watpipe {

// A non-blocking eventfd for waking a stage; exits the process if it cannot be created (start-up only).
int make_wake_eventfd();

class Handoff {
public:
    // Exits the process if the eventfd cannot be created (start-up only).
    explicit Handoff(int capacity);
    ~Handoff();
    Handoff(const Handoff &) = delete;
    Handoff &operator=(const Handoff &) = delete;

    // The descriptor the consumer puts in its select read set.
    int wake_fd() const { return efd_; }

    // Producers: one descriptor (a writer thread finishing a job) or a whole batch (a stage at the end of a pass,
    // leaving batch empty). Either wakes the consumer at most once until it next merges.
    void put(int fd);
    void put_all(FdSet &batch);

    // Consumer: moves everything pending into own; arrived receives the same descriptors so the stage can look at
    // the newcomers (its previous content is replaced). Clears the wake-up.
    void take(FdSet &own, FdSet &arrived);

    // Wakes the consumer without handing anything over (shutdown).
    void wake();

private:
    void signal_locked();

    std::mutex mu_;
    FdSet pending_;
    int efd_;
    bool signalled_ = false;  // invariant: the eventfd counter is non-zero exactly when this is true
};

}  // namespace watpipe
