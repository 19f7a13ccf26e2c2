// A select() descriptor set sized at run time for tens of thousands of descriptors (FD_SETSIZE is only 1,024).
#pragma once

#include <sys/select.h>

#include <climits>
#include <cstddef>
#include <vector>

namespace watpipe {

// The bitmap has the layout the kernel expects from an fd_set (bit fd%64 of word fd/64), but as many words as
// the descriptor limit needs; select(nfds, ...) reads only the first nfds bits, so a hand-made set of any size
// works as long as nfds never exceeds its capacity. FD_SET and friends are not used: glibc may check them
// against FD_SETSIZE.
class FdSet {
public:
    explicit FdSet(int capacity) : words_((static_cast<size_t>(capacity) + kBits - 1) / kBits, 0) {}

    int capacity() const { return static_cast<int>(words_.size() * kBits); }
    int count() const { return count_; }
    bool empty() const { return count_ == 0; }

    bool test(int fd) const { return (words_[word(fd)] & mask(fd)) != 0; }

    void set(int fd) {
        unsigned long &w = words_[word(fd)];
        if ((w & mask(fd)) == 0) {
            w |= mask(fd);
            count_++;
            if (fd >= nfds_) nfds_ = fd + 1;
        }
    }

    void clear(int fd) {
        unsigned long &w = words_[word(fd)];
        if ((w & mask(fd)) != 0) {
            w &= ~mask(fd);
            count_--;
        }
    }

    // One more than the highest member (select's nfds); an upper bound that shrinks when members leave.
    int nfds() {
        while (nfds_ > 0 && words_[word(nfds_ - 1)] == 0) nfds_ = static_cast<int>(word(nfds_ - 1) * kBits);
        return nfds_;
    }

    // Moves every member of other into this set and leaves other empty: the stages' merge at a synchronisation
    // point. Costs one pass over other's words up to its highest member.
    void merge_from(FdSet &other) {
        size_t n = (static_cast<size_t>(other.nfds()) + kBits - 1) / kBits;
        for (size_t i = 0; i < n; i++) {
            unsigned long added = other.words_[i] & ~words_[i];
            words_[i] |= other.words_[i];
            count_ += __builtin_popcountl(added);
            other.words_[i] = 0;
        }
        if (other.nfds_ > nfds_) nfds_ = other.nfds_;
        other.count_ = 0;
        other.nfds_ = 0;
    }

    // Makes this set an exact copy of other (the scratch set that select overwrites).
    void copy_from(FdSet &other) {
        size_t n = (static_cast<size_t>(other.nfds()) + kBits - 1) / kBits;
        size_t old = (static_cast<size_t>(nfds_) + kBits - 1) / kBits;
        for (size_t i = 0; i < n; i++) words_[i] = other.words_[i];
        for (size_t i = n; i < old; i++) words_[i] = 0;
        count_ = other.count_;
        nfds_ = other.nfds_;
    }

    void clear_all() {
        size_t n = (static_cast<size_t>(nfds_) + kBits - 1) / kBits;
        for (size_t i = 0; i < n; i++) words_[i] = 0;
        count_ = 0;
        nfds_ = 0;
    }

    // The set as select() sees it. After select the bits are the ready descriptors, so count() is stale until
    // recount() is called.
    fd_set *raw() { return reinterpret_cast<fd_set *>(words_.data()); }

    void recount() {
        int c = 0;
        size_t n = (static_cast<size_t>(nfds_) + kBits - 1) / kBits;
        for (size_t i = 0; i < n; i++) c += __builtin_popcountl(words_[i]);
        count_ = c;
    }

    // Calls f(fd) for every member in increasing order; f may clear members (of this set too).
    template <typename F> void for_each(F f) const {
        size_t n = (static_cast<size_t>(nfds_) + kBits - 1) / kBits;
        for (size_t i = 0; i < n; i++) {
            unsigned long w = words_[i];
            while (w != 0) {
                int bit = __builtin_ctzl(w);
                w &= w - 1;
                f(static_cast<int>(i * kBits) + bit);
            }
        }
    }

private:
    static constexpr size_t kBits = sizeof(unsigned long) * CHAR_BIT;
    static size_t word(int fd) { return static_cast<size_t>(fd) / kBits; }
    static unsigned long mask(int fd) { return 1UL << (static_cast<size_t>(fd) % kBits); }

    std::vector<unsigned long> words_;
    int count_ = 0;
    int nfds_ = 0;
};

}  // namespace watpipe
