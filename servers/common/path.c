/* Maps a decoded request path to a regular file under the document root, refusing any escape. */
#define _GNU_SOURCE
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int path_open_root(const char *root)
{
    return open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int path_check(const char *path, size_t len)
{
    if (len == 0 || path[0] != '/' || memchr(path, '\0', len) != NULL)
        return 400;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && path[end] != '/')
            end++;
        if (end - i == 2 && path[i] == '.' && path[i + 1] == '.')
            return 403;
        i = end + 1;
    }
    return 0;
}

/* openat2 with RESOLVE_BENEATH also refuses symlinks and ".." that would leave the root (Linux >= 5.6);
 * older kernels fall back to openat after the lexical check above. */
static int open_beneath(int rootfd, const char *rel)
{
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
    if (fd < 0 && errno == ENOSYS)
        fd = openat(rootfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    return fd;
}

int path_open(int rootfd, const char *path, size_t len, int *fd, off_t *size)
{
    int status = path_check(path, len);
    if (status)
        return status;
    while (len > 0 && *path == '/') {
        path++;
        len--;
    }
    if (len == 0)
        return 404; /* the root itself: no directory listings */
    char rel[PATH_MAX];
    if (len >= sizeof rel)
        return 404;
    memcpy(rel, path, len);
    rel[len] = '\0';
    int f = open_beneath(rootfd, rel);
    if (f < 0) {
        switch (errno) {
        case ENOENT: case ENOTDIR: case ENAMETOOLONG: return 404;
        case EACCES: case EPERM: case EXDEV: case ELOOP: return 403;
        case EMFILE: case ENFILE: case ENOMEM: return 503;
        default: return 500;
        }
    }
    struct stat st;
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(f);
        return 404;
    }
    *fd = f;
    *size = st.st_size;
    return 0;
}
