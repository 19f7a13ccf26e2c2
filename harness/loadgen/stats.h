/* Pure statistics: a log-linear histogram (mean, percentiles, max) and a series of rate samples. */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>

#define ST_SUB_BITS 7                               /* 128 sub-buckets per power of two: <= 0.8% error */
#define ST_BUCKETS ((64 - ST_SUB_BITS) * (1 << (ST_SUB_BITS - 1)) + (1 << ST_SUB_BITS))

/* Values are non-negative integers (the load generator records microseconds). */
struct st_hist {
	uint64_t count;
	double sum;       /* exact, for the mean */
	uint64_t max;     /* exact */
	uint64_t bucket[ST_BUCKETS];
};

void st_hist_add(struct st_hist *h, uint64_t v);
double st_hist_mean(const struct st_hist *h);
/* The value at quantile q (0..1), accurate to a bucket's width; 0 when empty. */
double st_hist_quantile(const struct st_hist *h, double q);

/* Rate samples (e.g. replies per second over 5 s intervals), summarised as httperf does. */
struct st_rate {
	uint64_t n;
	double sum, sum2, min, max;
};

void st_rate_add(struct st_rate *r, double v);
double st_rate_avg(const struct st_rate *r);
double st_rate_stddev(const struct st_rate *r);

#endif
