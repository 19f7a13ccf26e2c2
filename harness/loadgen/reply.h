/* Incremental HTTP/1.x reply parser: status line, Content-Length, Connection; bodies are counted, not stored. */
#ifndef REPLY_H
#define REPLY_H

#include <stddef.h>
#include <stdint.h>

enum hr_result { HR_MORE, HR_DONE, HR_ERROR };

struct hr_parser {
	int state;
	int status;            /* 3-digit status code */
	int minor;             /* HTTP/1.minor */
	int is_head;           /* the request was HEAD: no body */
	int want_crc;          /* compute the CRC-32 of the body */
	int keep_alive;        /* after this reply the connection stays open */
	int conn_close, conn_keep;
	int64_t content_length; /* -1 = absent */
	uint64_t body_left;
	uint64_t header_bytes;
	uint64_t body_bytes;
	uint32_t crc;
	size_t pos;            /* index within the literal "HTTP/1." or the status digits */
	size_t nlen, vlen;     /* bytes kept of the current header name / value */
	char name[24];
	char value[64];
	const char *error;     /* why HR_ERROR */
};

/* Prepares for the reply to the next request. */
void hr_start(struct hr_parser *p, int is_head, int want_crc);
/* Consumes bytes of the reply; *used says how many (fewer than len only when the reply ended: HR_DONE). */
enum hr_result hr_feed(struct hr_parser *p, const char *data, size_t len, size_t *used);
/* The peer closed: HR_DONE if this ends a body delimited by the close, HR_MORE if nothing of a reply had come. */
enum hr_result hr_eof(struct hr_parser *p);
/* Bytes of a Content-Length body still expected that nothing needs to see (no CRC is wanted): the caller may
 * discard up to that many from the socket without copying them (recv with MSG_TRUNC) and count them with hr_skip. */
uint64_t hr_skippable(const struct hr_parser *p);
/* Counts n ≤ hr_skippable(p) body bytes discarded unread; HR_DONE when they end the body. */
enum hr_result hr_skip(struct hr_parser *p, uint64_t n);
/* Whether any byte of the current reply has been consumed. */
static inline int hr_started(const struct hr_parser *p) { return p->header_bytes > 0; }

#endif
