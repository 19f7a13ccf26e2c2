/* The seek curve of the latency disk: fits a two-piece seek-time curve to a drive's three published seek times. */
#include "seek.h"

#include <math.h>

double seek_ms(const struct seek_curve *s, double d)
{
    if (d <= 0)
        return 0;
    if (d < 1)
        d = 1; /* a move within a cylinder's width still settles on a new track */
    return d <= s->x0 ? s->a + s->b * sqrt(d) : s->c + s->e * d;
}

double seek_mean_ms(const struct seek_curve *s)
{
    /* The distance between two uniform points of [0, C] has density 2(1 - x) in x = d / C; midpoint rule. */
    enum { STEPS = 20000 };
    double sum = 0;
    for (int i = 0; i < STEPS; i++) {
        double x = (i + 0.5) / STEPS;
        sum += seek_ms(s, x * s->cylinders) * 2 * (1 - x);
    }
    return sum / STEPS;
}

/* The curve whose square-root part ends at x0: it passes through (1, track) and its tangent at x0 reaches
 * (cylinders, full). */
static void seek_shape(struct seek_curve *s, double x0, double track_ms, double full_ms, double cylinders)
{
    double r = sqrt(x0);
    s->x0 = x0;
    s->cylinders = cylinders;
    s->b = (full_ms - track_ms) / (r - 1 + (cylinders - x0) / (2 * r));
    s->a = track_ms - s->b;
    s->e = s->b / (2 * r);
    s->c = s->a + s->b * r - s->e * x0;
}

int seek_fit(struct seek_curve *s, double track_ms, double average_ms, double full_ms, double cylinders)
{
    if (!(cylinders > 1) || !(track_ms >= 0) || !(full_ms > track_ms))
        return -1;
    /* The mean grows with x0: nearly linear (x0 = 1, mean ≈ track + (full - track) / 3) to all square root
     * (x0 = cylinders, mean ≈ track + 8/15 (full - track)). Bisection on x0. */
    double lo = 1, hi = cylinders;
    seek_shape(s, lo, track_ms, full_ms, cylinders);
    double mlo = seek_mean_ms(s);
    seek_shape(s, hi, track_ms, full_ms, cylinders);
    double mhi = seek_mean_ms(s);
    if (!(average_ms >= mlo && average_ms <= mhi))
        return -1;
    for (int i = 0; i < 100 && hi - lo > 1e-6 * cylinders; i++) {
        double mid = (lo + hi) / 2;
        seek_shape(s, mid, track_ms, full_ms, cylinders);
        if (seek_mean_ms(s) < average_ms)
            lo = mid;
        else
            hi = mid;
    }
    seek_shape(s, (lo + hi) / 2, track_ms, full_ms, cylinders);
    return 0;
}
