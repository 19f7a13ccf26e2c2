/* Writes a run's results: httperf's summary lines for people, a JSON summary for programs. */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>

#include "engine.h"

struct rep_run {
	const char *id;
	const char *server;
	int port;
	double rate;
	const struct lg_result *res;
};

void rep_text(FILE *f, const struct rep_run *run);
void rep_json(FILE *f, const struct rep_run *run);

#endif
