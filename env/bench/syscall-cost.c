/* What one system call costs on this machine: the time per call of a null call (getppid), of poll() over n idle
 * pipes, and of a 1-byte write and read through a pipe, against a user-space clock read for scale. Each figure is
 * the median of 11 runs of ITER calls. Under a paravirtualised kernel every entry and exit can cross into the
 * hypervisor, so this is the number that says how much dearer a syscall-heavy server's kernel time is here.
 *   syscall-cost [ITER] [POLL_FDS]      (defaults 200000 and 1000) */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RUNS 11

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static struct pollfd *fds;
static int nfds, pipefd[2];
static volatile long sink;

static void op_clock(void) { sink += (long)now_ns(); }
static void op_null(void) { sink += syscall(SYS_getppid); }
static void op_poll(void) { sink += poll(fds, nfds, 0); }
static void op_pipe(void) {
  char c = 'x';
  if (write(pipefd[1], &c, 1) != 1 || read(pipefd[0], &c, 1) != 1) { perror("syscall-cost: pipe"); exit(1); }
}

/* Median over RUNS of the time per call of op, ns. */
static double per_call(void (*op)(void), long iter) {
  double t[RUNS];
  for (int r = 0; r < RUNS; r++) {
    double start = now_ns();
    for (long i = 0; i < iter; i++) op();
    t[r] = (now_ns() - start) / iter;
  }
  qsort(t, RUNS, sizeof t[0], cmp);
  return t[RUNS / 2];
}

int main(int argc, char **argv) {
  long iter = argc > 1 ? atol(argv[1]) : 200000;
  nfds = argc > 2 ? atoi(argv[2]) : 1000;
  if (iter <= 0 || nfds <= 0 || argc > 3) { fprintf(stderr, "usage: syscall-cost [ITER > 0] [POLL_FDS > 0]\n"); return 2; }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && 2 * (rlim_t)nfds + 8 > rl.rlim_cur) { fprintf(stderr, "syscall-cost: %d descriptors exceed the open-file limit\n", nfds); return 2; }
  if (pipe(pipefd) != 0) { perror("syscall-cost: pipe"); return 1; }
  fds = calloc(nfds, sizeof *fds);
  if (!fds) { perror("syscall-cost: calloc"); return 1; }
  for (int i = 0; i < nfds; i++) { /* read ends of idle pipes: never ready */
    int p[2];
    if (pipe(p) != 0) { perror("syscall-cost: pipe"); return 1; }
    fds[i] = (struct pollfd){ .fd = p[0], .events = POLLIN };
  }
  printf("clock_gettime (user space)\t%.1f ns\n", per_call(op_clock, iter));
  printf("getppid (null syscall)\t%.1f ns\n", per_call(op_null, iter));
  printf("pipe write+read, 1 byte\t%.1f ns\n", per_call(op_pipe, iter / 2));
  printf("poll, %d idle fds\t%.1f ns\n", nfds, per_call(op_poll, iter / 100 > 0 ? iter / 100 : 1));
  return 0;
}
