/* Pure statistics: a log-linear histogram (mean, percentiles, max) and a series of rate samples. */
#include "stats.h"

#include <math.h>

#define ST_SUB (1u << ST_SUB_BITS)
#define ST_HALF (ST_SUB / 2)

/* Values below ST_SUB have a bucket each; above, each power of two is split into ST_HALF equal buckets. */
static size_t st_index(uint64_t v)
{
	if (v < ST_SUB)
		return (size_t)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - (ST_SUB_BITS - 1); /* v >> shift lies in [ST_HALF, ST_SUB) */
	return ST_SUB + (size_t)(shift - 1) * ST_HALF + (size_t)((v >> shift) - ST_HALF);
}

/* The midpoint of a bucket's range. */
static double st_value(size_t idx)
{
	if (idx < ST_SUB)
		return (double)idx;
	unsigned shift = (unsigned)((idx - ST_SUB) / ST_HALF) + 1;
	uint64_t m = (idx - ST_SUB) % ST_HALF + ST_HALF;
	double lo = (double)(m << shift);
	return lo + ((double)(1ULL << shift) - 1) / 2;
}

void st_hist_add(struct st_hist *h, uint64_t v)
{
	h->count++;
	h->sum += (double)v;
	if (v > h->max)
		h->max = v;
	h->bucket[st_index(v)]++;
}

double st_hist_mean(const struct st_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}

double st_hist_quantile(const struct st_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	uint64_t rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < ST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			double v = st_value(i);
			return v > (double)h->max ? (double)h->max : v;
		}
	}
	return (double)h->max;
}

void st_rate_add(struct st_rate *r, double v)
{
	if (r->n == 0 || v < r->min)
		r->min = v;
	if (r->n == 0 || v > r->max)
		r->max = v;
	r->n++;
	r->sum += v;
	r->sum2 += v * v;
}

double st_rate_avg(const struct st_rate *r)
{
	return r->n ? r->sum / (double)r->n : 0;
}

/* Sample standard deviation, as httperf prints it (0 with fewer than two samples). */
double st_rate_stddev(const struct st_rate *r)
{
	if (r->n < 2)
		return 0;
	double n = (double)r->n;
	double var = (r->sum2 - r->sum * r->sum / n) / (n - 1);
	return var > 0 ? sqrt(var) : 0;
}
