// The shared core's cache of open files and reply headers, shared by all stages behind one mutex.
#pragma once

#include <cstdint>
#include <mutex>

#include "cache.h"

namespace watpipe {

class SharedCache {
public:
    // Exits with a message if the document root cannot be opened (start-up only).
    SharedCache(const char *root, uint32_t capacity);
    ~SharedCache();
    SharedCache(const SharedCache &) = delete;
    SharedCache &operator=(const SharedCache &) = delete;

    // The cache takes the mutex itself around every table operation (never around open/fstat).
    cache *get() { return cache_; }
    cache_stats stats();

private:
    static void lock(void *arg) { static_cast<std::mutex *>(arg)->lock(); }
    static void unlock(void *arg) { static_cast<std::mutex *>(arg)->unlock(); }

    std::mutex mu_;
    void *mem_;  // malloc'd, so aligned for the cache's entries
    cache *cache_;
    int rootfd_;
};

}  // namespace watpipe
