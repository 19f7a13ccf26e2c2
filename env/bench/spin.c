/* Spins on one core for a given time and prints every stretch in which it did not run (a gap between two clock
 * reads longer than the threshold): "start_ns end_ns" relative to its start, after a first line "0 total_ns". */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: spin SECONDS GAP_THRESHOLD_NS\n"); return 2; }
  double seconds = atof(argv[1]);
  long long threshold = atoll(argv[2]);
  if (!(seconds > 0 && seconds <= 600) || threshold <= 0) { fprintf(stderr, "spin: SECONDS must be in (0, 600], GAP_THRESHOLD_NS > 0\n"); return 2; }
  size_t cap = 4u << 20, n = 0;
  long long *gaps = malloc(cap * 2 * sizeof *gaps);
  if (!gaps) { perror("spin: malloc"); return 1; }
  long long start = now_ns(), end = start + (long long)(seconds * 1e9), prev = start;
  for (;;) {
    long long t = now_ns();
    if (t - prev > threshold && n < cap) { gaps[2 * n] = prev - start; gaps[2 * n + 1] = t - start; n++; }
    prev = t;
    if (t >= end) break;
  }
  printf("0 %lld\n", prev - start);
  for (size_t i = 0; i < n; i++) printf("%lld %lld\n", gaps[2 * i], gaps[2 * i + 1]);
  return n == cap ? 1 : 0;
}
