/* Maps a decoded request path to a regular file under the document root, refusing any escape. */
#ifndef COMMON_PATH_H
#define COMMON_PATH_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens the document root as a directory descriptor (O_PATH); -1 + errno on failure. */
int path_open_root(const char *root);

/* Returns 0 if `path` (decoded, starting with '/') names something that may be under the root,
 * 403 if a segment is "..", 400 if it contains a NUL byte or does not start with '/'. */
int path_check(const char *path, size_t len);

/* Opens the regular file `path` under `rootfd` read-only; on success returns 0 with *fd and *size set.
 * Otherwise returns the HTTP status: 400/403 (refused path, symlink escaping the root, permission),
 * 404 (missing or not a regular file), 503 (out of descriptors), 500 (other errors). */
int path_open(int rootfd, const char *path, size_t len, int *fd, off_t *size);

#ifdef __cplusplus
}
#endif
#endif
