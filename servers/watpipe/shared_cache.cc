// The shared cache of open files and reply headers behind one mutex (see shared_cache.hpp).
#include "shared_cache.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "path.h"

namespace watpipe {

SharedCache::SharedCache(const char *root, uint32_t capacity) {
    rootfd_ = path_open_root(root);
    if (rootfd_ < 0) {
        fprintf(stderr, "watpipe: open(%s): %s\n", root, strerror(errno));
        exit(1);
    }
    mem_ = malloc(cache_bytes(capacity));
    if (mem_ == nullptr) {
        fprintf(stderr, "watpipe: malloc(cache of %u entries) failed\n", capacity);
        exit(1);
    }
    cache_ops ops = {lock, unlock, nullptr, &mu_};
    cache_ = cache_init(mem_, capacity, rootfd_, &ops);
}

SharedCache::~SharedCache() {
    cache_close_all(cache_);
    free(mem_);
    close(rootfd_);
}

cache_stats SharedCache::stats() {
    cache_stats s;
    cache_get_stats(cache_, &s);
    return s;
}

}  // namespace watpipe
