/* Incremental HTTP/1.x reply parser: status line, Content-Length, Connection; bodies are counted, not stored.
 *
 * One state per position in the grammar, fed whatever read() returned, so a connection needs no header buffer
 * (tens of thousands of connections would otherwise hold megabytes). Only three headers matter to a client that
 * reuses connections: Content-Length, Connection and Transfer-Encoding (chunked is refused: no server of this
 * project sends it). Bare LF is accepted as a line end, as most clients do. */
#include "reply.h"

#include <string.h>
#include <strings.h>
#include <zlib.h>

#define HR_MAX_HEADER 65536

enum {
	R_VERSION, R_MINOR, R_SP, R_CODE, R_AFTER_CODE, R_REASON,
	R_LINE_START, R_NAME, R_VALUE_WS, R_VALUE, R_END_LF,
	R_BODY, R_BODY_EOF, R_DONE
};

void hr_start(struct hr_parser *p, int is_head, int want_crc)
{
	memset(p, 0, sizeof *p);
	p->state = R_VERSION;
	p->is_head = is_head;
	p->want_crc = want_crc;
	p->content_length = -1;
	p->crc = (uint32_t)crc32(0L, Z_NULL, 0);
}

static enum hr_result hr_error(struct hr_parser *p, const char *why)
{
	p->error = why;
	return HR_ERROR;
}

static void hr_trim(char *s, size_t *len)
{
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	s[*len] = '\0';
}

/* Interprets one complete header line whose name and value have been collected. */
static enum hr_result hr_header(struct hr_parser *p)
{
	if (p->nlen >= sizeof p->name)
		return HR_MORE; /* longer than any header we care about */
	int overflow = p->vlen >= sizeof p->value;
	size_t vlen = overflow ? sizeof p->value - 1 : p->vlen;
	hr_trim(p->value, &vlen);
	if (strcmp(p->name, "content-length") == 0) {
		if (overflow || vlen == 0 || vlen > 18)
			return hr_error(p, "bad Content-Length");
		int64_t v = 0;
		for (size_t i = 0; i < vlen; i++) {
			if (p->value[i] < '0' || p->value[i] > '9')
				return hr_error(p, "bad Content-Length");
			v = v * 10 + (p->value[i] - '0');
		}
		if (p->content_length >= 0 && p->content_length != v)
			return hr_error(p, "conflicting Content-Length headers");
		p->content_length = v;
	} else if (strcmp(p->name, "connection") == 0) {
		for (size_t i = 0; i < vlen; i++)
			if (p->value[i] >= 'A' && p->value[i] <= 'Z')
				p->value[i] += 'a' - 'A';
		if (strstr(p->value, "close"))
			p->conn_close = 1;
		if (strstr(p->value, "keep-alive"))
			p->conn_keep = 1;
	} else if (strcmp(p->name, "transfer-encoding") == 0) {
		if (strcasecmp(p->value, "identity") != 0)
			return hr_error(p, "Transfer-Encoding not supported");
	}
	return HR_MORE;
}

/* The blank line after the headers: decide how the body is delimited. */
static enum hr_result hr_headers_done(struct hr_parser *p)
{
	p->keep_alive = p->minor >= 1 ? !p->conn_close : (p->conn_keep && !p->conn_close);
	if (p->is_head || p->status / 100 == 1 || p->status == 204 || p->status == 304) {
		p->state = R_DONE;
	} else if (p->content_length >= 0) {
		p->body_left = (uint64_t)p->content_length;
		p->state = p->body_left ? R_BODY : R_DONE;
	} else {
		p->keep_alive = 0; /* the body ends when the server closes */
		p->state = R_BODY_EOF;
	}
	return p->state == R_DONE ? HR_DONE : HR_MORE;
}

static int hr_is_token(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != ':';
}

static void hr_body(struct hr_parser *p, const char *data, size_t n)
{
	if (p->want_crc)
		p->crc = (uint32_t)crc32(p->crc, (const Bytef *)data, (uInt)n);
	p->body_bytes += n;
}

uint64_t hr_skippable(const struct hr_parser *p)
{
	return p->state == R_BODY && !p->want_crc ? p->body_left : 0;
}

enum hr_result hr_skip(struct hr_parser *p, uint64_t n)
{
	p->body_bytes += n;
	if ((p->body_left -= n) > 0)
		return HR_MORE;
	p->state = R_DONE;
	return HR_DONE;
}

enum hr_result hr_feed(struct hr_parser *p, const char *data, size_t len, size_t *used)
{
	static const char version[] = "HTTP/1.";
	size_t i = 0;
	while (i < len) {
		if (p->state == R_BODY || p->state == R_BODY_EOF) {
			size_t n = len - i;
			if (p->state == R_BODY && n > p->body_left)
				n = (size_t)p->body_left;
			hr_body(p, data + i, n);
			i += n;
			if (p->state == R_BODY && (p->body_left -= n) == 0) {
				p->state = R_DONE;
				*used = i;
				return HR_DONE;
			}
			continue;
		}
		unsigned char c = (unsigned char)data[i++];
		if (++p->header_bytes > HR_MAX_HEADER)
			return hr_error(p, "reply header too large");
		enum hr_result r = HR_MORE;
		switch (p->state) {
		case R_VERSION:
			if (c != (unsigned char)version[p->pos])
				return hr_error(p, "bad status line");
			if (++p->pos == sizeof version - 1)
				p->state = R_MINOR;
			break;
		case R_MINOR:
			if (c < '0' || c > '9')
				return hr_error(p, "bad HTTP version");
			p->minor = c - '0';
			p->state = R_SP;
			break;
		case R_SP:
			if (c != ' ')
				return hr_error(p, "bad status line");
			p->state = R_CODE;
			p->pos = 0;
			break;
		case R_CODE:
			if (c < '0' || c > '9')
				return hr_error(p, "bad status code");
			p->status = p->status * 10 + (c - '0');
			if (++p->pos == 3) {
				if (p->status < 100)
					return hr_error(p, "bad status code");
				p->state = R_AFTER_CODE;
			}
			break;
		case R_AFTER_CODE:
			if (c == '\n')
				p->state = R_LINE_START;
			else if (c == ' ' || c == '\r')
				p->state = R_REASON;
			else
				return hr_error(p, "bad status code");
			break;
		case R_REASON:
			if (c == '\n')
				p->state = R_LINE_START;
			break;
		case R_LINE_START:
			if (c == '\r') {
				p->state = R_END_LF;
			} else if (c == '\n') {
				r = hr_headers_done(p);
			} else if (hr_is_token(c)) {
				p->nlen = p->vlen = 0;
				p->name[p->nlen++] = (char)((c >= 'A' && c <= 'Z') ? c + 'a' - 'A' : c);
				p->state = R_NAME;
			} else {
				return hr_error(p, "bad header line");
			}
			break;
		case R_NAME:
			if (c == ':') {
				if (p->nlen < sizeof p->name)
					p->name[p->nlen] = '\0';
				p->state = R_VALUE_WS;
			} else if (hr_is_token(c)) {
				if (p->nlen < sizeof p->name - 1)
					p->name[p->nlen++] = (char)((c >= 'A' && c <= 'Z') ? c + 'a' - 'A' : c);
				else
					p->nlen = sizeof p->name; /* too long to matter */
			} else {
				return hr_error(p, "bad header name");
			}
			break;
		case R_VALUE_WS:
			if (c == ' ' || c == '\t')
				break;
			p->state = R_VALUE;
			__attribute__((fallthrough)); /* c is the first byte of the value */
		case R_VALUE:
			if (c == '\n') {
				r = hr_header(p);
				p->state = R_LINE_START;
			} else if (c != '\r') {
				if (p->vlen < sizeof p->value - 1)
					p->value[p->vlen++] = (char)c;
				else
					p->vlen = sizeof p->value;
				p->value[p->vlen < sizeof p->value ? p->vlen : sizeof p->value - 1] = '\0';
			}
			break;
		case R_END_LF:
			if (c != '\n')
				return hr_error(p, "bad end of header");
			r = hr_headers_done(p);
			break;
		default:
			return hr_error(p, "parser misuse");
		}
		if (r == HR_ERROR)
			return HR_ERROR;
		if (r == HR_DONE) {
			*used = i;
			return HR_DONE;
		}
	}
	*used = i;
	return HR_MORE;
}

enum hr_result hr_eof(struct hr_parser *p)
{
	if (p->state == R_BODY_EOF) {
		p->state = R_DONE;
		return HR_DONE;
	}
	if (!hr_started(p))
		return HR_MORE;
	p->error = "connection closed in the middle of a reply";
	return HR_ERROR;
}
