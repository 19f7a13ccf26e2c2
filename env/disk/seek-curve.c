/* Prints the latency disk's fitted seek curve, for its tests and the README: the curve's parameters, its mean, and
 * the seek time at each distance given (in cylinders), as one JSON line.
 *
 * usage: seek-curve TRACK_MS AVERAGE_MS FULL_MS CYLINDERS [DISTANCE...] */
#include <stdio.h>
#include <stdlib.h>

#include "seek.h"

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: seek-curve TRACK_MS AVERAGE_MS FULL_MS CYLINDERS [DISTANCE...]\n");
        return 2;
    }
    struct seek_curve s;
    if (seek_fit(&s, atof(argv[1]), atof(argv[2]), atof(argv[3]), atof(argv[4])) != 0) {
        fprintf(stderr, "seek-curve: no curve has track %s ms, average %s ms, full stroke %s ms\n", argv[1], argv[2], argv[3]);
        return 1;
    }
    printf("{\"a\":%.9g,\"b\":%.9g,\"c\":%.9g,\"e\":%.9g,\"x0\":%.9g,\"mean_ms\":%.9g,\"seek_ms\":[", s.a, s.b, s.c, s.e, s.x0, seek_mean_ms(&s));
    for (int i = 5; i < argc; i++)
        printf("%s%.9g", i > 5 ? "," : "", seek_ms(&s, atof(argv[i])));
    printf("]}\n");
    return 0;
}
