# Evicts the files under a directory from the page cache (posix_fadvise DONTNEED), so a point starts from a known cache state.
import os
import sys

evicted = 0
for base, _dirs, files in os.walk(sys.argv[1]):
    for name in files:
        try:
            fd = os.open(os.path.join(base, name), os.O_RDONLY)
        except OSError as e:
            print(f"open {name}: {e}", file=sys.stderr)
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            evicted += 1
        finally:
            os.close(fd)
print(evicted)
