/* The seek curve of the latency disk: seek time as a function of the distance the arm moves, fitted to a drive's
 * published track-to-track, average and full-stroke seek times. */
#ifndef SEEK_H
#define SEEK_H

/* seek(d) = a + b·√d for 1 ≤ d ≤ x0 cylinders (the arm accelerates and coasts: Ruemmler & Wilkes 1994), and
 * c + e·d beyond (the arm reaches its top speed), continuous and with one slope at x0. */
struct seek_curve {
    double a, b, c, e, x0, cylinders;
};

/* Fits the curve: seek(1) = track_ms, seek(cylinders) = full_ms, and the mean over uniformly random start and end
 * cylinders (the datasheets' "weighted average of all possible seeks") = average_ms. Returns 0, or -1 when no curve
 * of this shape has that mean (average_ms must lie between about a third and a half of the way from track to full). */
int seek_fit(struct seek_curve *s, double track_ms, double average_ms, double full_ms, double cylinders);

/* Seek time in ms over `d` cylinders: 0 for d = 0 (the head stays on its cylinder), track-to-track below one. */
double seek_ms(const struct seek_curve *s, double d);

/* Mean seek time in ms between two uniformly random cylinders. */
double seek_mean_ms(const struct seek_curve *s);

#endif
