# Puts the file set's page cache in a known state: `evict ROOT` drops every file under ROOT (posix_fadvise DONTNEED);
# `read ROOT LIST` reads the files named in LIST (paths relative to ROOT, one a line) in order, to cache them.
import os
import sys


def evict(root):
    n = 0
    for base, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(base, name), os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                n += 1
            finally:
                os.close(fd)
    return n


def read(root, listing):
    n = 0
    with open(listing) as names:
        for line in names:
            with open(os.path.join(root, line.strip()), "rb", buffering=0) as f:
                while f.read(1 << 20):
                    pass
            n += 1
    return n


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "evict":
        print(evict(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "read":
        print(read(sys.argv[2], sys.argv[3]))
    else:
        sys.exit("usage: page-cache.py evict ROOT | read ROOT LIST")
