/* A hashed timer wheel with 1 ms ticks: O(1) add and cancel, so tens of thousands of timeouts stay cheap. */
#include "timer.h"

#include <string.h>

void tw_init(struct tw_wheel *w, uint64_t now_ms)
{
	memset(w, 0, sizeof *w);
	for (size_t i = 0; i < TW_SLOTS; i++)
		w->slots[i].next = w->slots[i].prev = &w->slots[i];
	w->now_ms = now_ms;
}

static void tw_unlink(struct tw_wheel *w, struct tw_timer *t)
{
	size_t slot = t->expires_ms % TW_SLOTS;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
	if (--w->count[slot] == 0)
		w->busy[slot / 64] &= ~(1ULL << (slot % 64));
	w->armed--;
}

void tw_add(struct tw_wheel *w, struct tw_timer *t, uint64_t expires_ms)
{
	if (tw_armed(t))
		tw_unlink(w, t);
	if (expires_ms <= w->now_ms)
		expires_ms = w->now_ms + 1; /* the current tick is already processed */
	t->expires_ms = expires_ms;
	size_t slot = expires_ms % TW_SLOTS;
	struct tw_timer *head = &w->slots[slot];
	t->next = head->next;
	t->prev = head;
	head->next->prev = t;
	head->next = t;
	w->count[slot]++;
	w->busy[slot / 64] |= 1ULL << (slot % 64);
	w->armed++;
}

void tw_cancel(struct tw_wheel *w, struct tw_timer *t)
{
	if (tw_armed(t))
		tw_unlink(w, t);
}

/* Fires the timers of one slot that are due by `tick`; later rotations stay. */
static void tw_run_slot(struct tw_wheel *w, size_t slot, uint64_t tick)
{
	struct tw_timer *head = &w->slots[slot];
	/* Detach due timers first: a callback may re-arm into this very slot, which must not loop forever. */
	struct tw_timer due = { .next = &due, .prev = &due };
	for (struct tw_timer *t = head->next, *nx; t != head; t = nx) {
		nx = t->next;
		if (t->expires_ms <= tick) {
			tw_unlink(w, t);
			t->next = due.next;
			t->prev = &due;
			due.next->prev = t;
			due.next = t;
		}
	}
	while (due.next != &due) {
		struct tw_timer *t = due.next;
		due.next = t->next;
		t->next->prev = &due;
		t->next = t->prev = NULL;
		t->fire(t, tick);
	}
}

void tw_advance(struct tw_wheel *w, uint64_t now_ms)
{
	if (now_ms <= w->now_ms)
		return;
	uint64_t from = w->now_ms + 1;
	if (now_ms - from >= TW_SLOTS)
		from = now_ms - TW_SLOTS + 1; /* after a long stall every slot is visited once, due timers all fire */
	for (uint64_t tick = from; tick <= now_ms; tick++) {
		w->now_ms = tick;
		size_t slot = tick % TW_SLOTS;
		if (w->count[slot])
			tw_run_slot(w, slot, now_ms);
	}
}

uint64_t tw_next(const struct tw_wheel *w)
{
	if (w->armed == 0)
		return UINT64_MAX;
	/* Scan the occupancy bitmap from the next tick, one 64-slot word at a time. */
	for (uint64_t off = 1; off <= TW_SLOTS; off++) {
		uint64_t tick = w->now_ms + off;
		size_t slot = tick % TW_SLOTS;
		uint64_t word = w->busy[slot / 64] >> (slot % 64);
		if (word)
			return tick + (uint64_t)__builtin_ctzll(word);
		off += 63 - slot % 64; /* skip to the next word */
	}
	return w->now_ms + TW_SLOTS;
}
