/* Socket helpers shared by the servers: the listening socket, descriptor flags, limits and SIGPIPE. */
#ifndef COMMON_NET_H
#define COMMON_NET_H

#ifdef __cplusplus
extern "C" {
#endif

/* Binds and listens on addr:port (port 0: ephemeral) with SO_REUSEADDR; the socket is non-blocking and
 * close-on-exec. Returns the fd and sets *bound_port, or -1 after printing which syscall failed. */
int net_listen(const char *addr, int port, int backlog, int *bound_port);

/* accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC; -1 + errno (EAGAIN when the queue is empty). */
int net_accept(int listen_fd);

int net_set_nonblock(int fd, int on);
int net_set_nodelay(int fd);

/* Bounds how long a send on a blocking socket may wait for the client (SO_SNDTIMEO, fractions of a second
 * kept): the servers that send on blocking sockets pass their idle timeout. 0, or -1 + errno. */
int net_set_send_timeout(int fd, double seconds);

/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit, or -1. */
long net_raise_nofile(void);

/* A write to a vanished client must fail with EPIPE, not kill the server. */
int net_ignore_sigpipe(void);

#ifdef __cplusplus
}
#endif
#endif
