/* A hashed timer wheel with 1 ms ticks: O(1) add and cancel, so tens of thousands of timeouts stay cheap. */
#ifndef TIMER_H
#define TIMER_H

#include <stddef.h>
#include <stdint.h>

#define TW_SLOTS 8192 /* one rotation = 8.192 s; later timers wait in their slot for further rotations */

struct tw_timer {
	struct tw_timer *next, *prev; /* NULL prev = not armed */
	uint64_t expires_ms;
	void (*fire)(struct tw_timer *t, uint64_t now_ms);
};

struct tw_wheel {
	struct tw_timer slots[TW_SLOTS];      /* list heads */
	uint64_t busy[TW_SLOTS / 64];         /* bit per non-empty slot, to find the next expiry quickly */
	uint32_t count[TW_SLOTS];
	uint64_t now_ms;                      /* every tick <= now_ms has been processed */
	size_t armed;
};

void tw_init(struct tw_wheel *w, uint64_t now_ms);
/* Arms t to fire at `expires_ms` (at the earliest the next tick); re-arming an armed timer moves it. */
void tw_add(struct tw_wheel *w, struct tw_timer *t, uint64_t expires_ms);
void tw_cancel(struct tw_wheel *w, struct tw_timer *t);
static inline int tw_armed(const struct tw_timer *t) { return t->prev != NULL; }
/* Fires every timer due at or before now_ms. A callback may add or cancel any timer. */
void tw_advance(struct tw_wheel *w, uint64_t now_ms);
/* A time at or before the earliest armed timer (UINT64_MAX when none): when to wake up next. */
uint64_t tw_next(const struct tw_wheel *w);

#endif
