/* Writes a run's results: httperf's summary lines for people, a JSON summary for programs. */
#include "report.h"

#include <stdint.h>

typedef unsigned long long ull;

static double rep_div(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static uint64_t rep_errors_total(const struct lg_errors *e)
{
	return e->client_timo + e->socket_timo + e->connrefused + e->connreset + e->fd_unavail + e->addrunavail +
	       e->ftab_full + e->other;
}

void rep_text(FILE *f, const struct rep_run *run)
{
	const struct lg_result *r = run->res;
	double d = r->duration_s;
	const struct lg_errors *e = &r->err;
	fprintf(f, "\nTotal: connections %llu requests %llu replies %llu test-duration %.3f s\n\n", (ull)r->conns_opened,
		(ull)r->requests, (ull)r->replies, d);
	fprintf(f, "Connection rate: %.1f conn/s (%.1f ms/conn, <=%llu concurrent connections)\n",
		rep_div((double)r->conns_opened, d), 1e3 * rep_div(d, (double)r->conns_opened), (ull)r->conns_max);
	fprintf(f, "Connection time [ms]: connect %.1f\n\n", 1e3 * rep_div(r->connect_sum_s, (double)r->connects));
	fprintf(f, "Request rate: %.1f req/s (%.1f ms/req)\n", rep_div((double)r->requests, d),
		1e3 * rep_div(d, (double)r->requests));
	fprintf(f, "Request size [B]: %.1f\n\n", rep_div((double)r->req_bytes, (double)r->requests));
	fprintf(f, "Reply rate [replies/s]: min %.1f avg %.1f max %.1f stddev %.1f (%llu samples)\n", r->reply_rate.min,
		st_rate_avg(&r->reply_rate), r->reply_rate.max, st_rate_stddev(&r->reply_rate), (ull)r->reply_rate.n);
	fprintf(f, "Reply time [ms]: response %.1f transfer %.1f\n", 1e3 * rep_div(r->response_sum_s, (double)r->replies),
		1e3 * rep_div(r->transfer_sum_s, (double)r->replies));
	double hdr = rep_div((double)r->hdr_bytes, (double)r->replies), body = rep_div((double)r->body_bytes, (double)r->replies);
	fprintf(f, "Reply size [B]: header %.1f content %.1f footer 0.0 (total %.1f)\n", hdr, body, hdr + body);
	fprintf(f, "Reply status: 1xx=%llu 2xx=%llu 3xx=%llu 4xx=%llu 5xx=%llu\n\n", (ull)r->status[1], (ull)r->status[2],
		(ull)r->status[3], (ull)r->status[4], (ull)r->status[5]);
	fprintf(f, "CPU time [s]: user %.2f system %.2f (user %.1f%% system %.1f%% total %.1f%%)\n", r->user_s, r->sys_s,
		100 * rep_div(r->user_s, d), 100 * rep_div(r->sys_s, d), 100 * rep_div(r->user_s + r->sys_s, d));
	double io = (double)(r->req_bytes + r->hdr_bytes + r->body_bytes);
	fprintf(f, "Net I/O: %.1f KB/s (%.1f*10^6 bps)\n\n", rep_div(io, d) / 1024, 8e-6 * rep_div(io, d));
	fprintf(f, "Errors: total %llu client-timo %llu socket-timo %llu connrefused %llu connreset %llu\n",
		(ull)rep_errors_total(e), (ull)e->client_timo, (ull)e->socket_timo, (ull)e->connrefused, (ull)e->connreset);
	fprintf(f, "Errors: fd-unavail %llu addrunavail %llu ftab-full %llu other %llu\n\n", (ull)e->fd_unavail,
		(ull)e->addrunavail, (ull)e->ftab_full, (ull)e->other);
	fprintf(f, "Session rate [sess/s]: min %.2f avg %.2f max %.2f stddev %.2f (%llu/%llu)\n", r->session_rate.min,
		rep_div((double)r->sessions_completed, d), r->session_rate.max, st_rate_stddev(&r->session_rate),
		(ull)r->sessions_completed, (ull)r->sessions_started);
	fprintf(f, "Session: avg %.2f connections/session\n",
		rep_div((double)r->conns_of_completed, (double)r->sessions_completed));
	fprintf(f, "Session lifetime [s]: %.1f\n", st_hist_mean(&r->session_life_us) / 1e6);
	fprintf(f, "Session failtime [s]: %.1f\n\n", st_hist_mean(&r->session_fail_us) / 1e6);
	/* Beyond httperf: what a client-bound or unfinished run looks like, and the paper's response time. */
	fprintf(f, "Reply time distribution [ms]: mean %.1f median %.1f p90 %.1f max %.1f\n",
		st_hist_mean(&r->reply_us) / 1e3, st_hist_quantile(&r->reply_us, 0.5) / 1e3,
		st_hist_quantile(&r->reply_us, 0.9) / 1e3, (double)r->reply_us.max / 1e3);
	fprintf(f, "Response time [ms] (connect time shared among a connection's replies): %.1f\n",
		1e3 * rep_div(r->paper_response_sum_s, (double)r->replies));
	fprintf(f, "Session start lateness [ms]: mean %.3f p99 %.3f max %.3f\n", st_hist_mean(&r->lateness_us) / 1e3,
		st_hist_quantile(&r->lateness_us, 0.99) / 1e3, (double)r->lateness_us.max / 1e3);
	fprintf(f, "Unfinished at deadline: sessions %llu requests %llu%s\n", (ull)r->sessions_unfinished,
		(ull)r->unfinished_requests, r->interrupted ? " (interrupted)" : "");
	fprintf(f, "Verify: checked %llu mismatches %llu errors %llu\n", (ull)r->verify_checked,
		(ull)r->verify_mismatches, (ull)r->verify_errors);
}

static void rep_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void rep_json(FILE *f, const struct rep_run *run)
{
	const struct lg_result *r = run->res;
	const struct lg_errors *e = &r->err;
	double d = r->duration_s;
	fputs("{\"id\":", f);
	rep_json_string(f, run->id);
	fputs(",\"server\":", f);
	rep_json_string(f, run->server);
	fprintf(f, ",\"port\":%d,\"rate\":%.6g", run->port, run->rate);
	fprintf(f, ",\"sessions\":{\"started\":%llu,\"completed\":%llu,\"failed\":%llu}", (ull)r->sessions_started,
		(ull)r->sessions_completed, (ull)r->sessions_failed);
	fprintf(f, ",\"unfinished\":{\"sessions\":%llu,\"requests\":%llu}", (ull)r->sessions_unfinished,
		(ull)r->unfinished_requests);
	fprintf(f, ",\"connections\":{\"opened\":%llu,\"max_concurrent\":%llu}", (ull)r->conns_opened, (ull)r->conns_max);
	fprintf(f, ",\"requests\":%llu,\"replies\":%llu,\"bytes\":%llu,\"body_bytes\":%llu,\"request_bytes\":%llu",
		(ull)r->requests, (ull)r->replies, (ull)(r->hdr_bytes + r->body_bytes), (ull)r->body_bytes,
		(ull)r->req_bytes);
	fprintf(f, ",\"status\":{\"1xx\":%llu,\"2xx\":%llu,\"3xx\":%llu,\"4xx\":%llu,\"5xx\":%llu}", (ull)r->status[1],
		(ull)r->status[2], (ull)r->status[3], (ull)r->status[4], (ull)r->status[5]);
	fprintf(f, ",\"errors\":{\"total\":%llu,\"client_timo\":%llu,\"socket_timo\":%llu,\"connrefused\":%llu,"
		   "\"connreset\":%llu,\"fd_unavail\":%llu,\"addrunavail\":%llu,\"ftab_full\":%llu,\"other\":%llu}",
		(ull)rep_errors_total(e), (ull)e->client_timo, (ull)e->socket_timo, (ull)e->connrefused,
		(ull)e->connreset, (ull)e->fd_unavail, (ull)e->addrunavail, (ull)e->ftab_full, (ull)e->other);
	fprintf(f, ",\"reply_time_ms\":{\"mean\":%.4f,\"median\":%.4f,\"p90\":%.4f,\"max\":%.4f}",
		st_hist_mean(&r->reply_us) / 1e3, st_hist_quantile(&r->reply_us, 0.5) / 1e3,
		st_hist_quantile(&r->reply_us, 0.9) / 1e3, (double)r->reply_us.max / 1e3);
	fprintf(f, ",\"connect_time_ms\":{\"mean\":%.4f}", 1e3 * rep_div(r->connect_sum_s, (double)r->connects));
	fprintf(f, ",\"response_time_ms\":{\"mean\":%.4f}", 1e3 * rep_div(r->paper_response_sum_s, (double)r->replies));
	fprintf(f, ",\"reply_rate\":{\"min\":%.3f,\"avg\":%.3f,\"max\":%.3f,\"stddev\":%.3f,\"samples\":%llu}",
		r->reply_rate.min, st_rate_avg(&r->reply_rate), r->reply_rate.max, st_rate_stddev(&r->reply_rate),
		(ull)r->reply_rate.n);
	fprintf(f, ",\"start_unix_ms\":%.3f,\"duration_s\":%.6f", r->start_unix_ms, d);
	fprintf(f, ",\"cpu\":{\"user_s\":%.3f,\"sys_s\":%.3f,\"pct\":%.2f}", r->user_s, r->sys_s,
		100 * rep_div(r->user_s + r->sys_s, d));
	fprintf(f, ",\"lateness_ms\":{\"mean\":%.4f,\"p99\":%.4f,\"max\":%.4f}", st_hist_mean(&r->lateness_us) / 1e3,
		st_hist_quantile(&r->lateness_us, 0.99) / 1e3, (double)r->lateness_us.max / 1e3);
	fputs(",\"by_file\":{", f);
	int first = 1;
	for (int i = 0; i < LG_FILES; i++) {
		const struct lg_file_stats *b = &r->by_file[i];
		if (b->requests == 0 && b->timeouts == 0)
			continue;
		fprintf(f, "%s\"class%d_%d\":{\"requests\":%llu,\"replies\":%llu,\"timeouts\":%llu,\"bytes\":%llu}",
			first ? "" : ",", i / 9, i % 9, (ull)b->requests, (ull)b->replies, (ull)b->timeouts, (ull)b->bytes);
		first = 0;
	}
	fprintf(f, "},\"verify\":{\"checked\":%llu,\"mismatches\":%llu,\"errors\":%llu}", (ull)r->verify_checked,
		(ull)r->verify_mismatches, (ull)r->verify_errors);
	fprintf(f, ",\"interrupted\":%s}\n", r->interrupted ? "true" : "false");
}
