// SPDX-License-Identifier: GPL-2.0-only
/* A string -> int hash table for scenario names (open addressing, FNV-1a). */
#include <stdlib.h>
#include <string.h>

#include "model.h"

struct mb_name_slot {
	char *key;	/* NULL: never used; &removed: removed */
	int val;
};

static char removed;

static size_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ULL;
	return (size_t)h;
}

/* The slot holding key, or the empty one it would go into. */
static struct mb_name_slot *find(const struct mb_names *n, const char *key, bool for_insert)
{
	size_t i = hash(key) & (n->cap - 1);
	struct mb_name_slot *tomb = NULL;

	for (;; i = (i + 1) & (n->cap - 1)) {
		struct mb_name_slot *s = &n->slot[i];

		if (!s->key)
			return for_insert && tomb ? tomb : s;
		if (s->key == &removed) {
			if (!tomb)
				tomb = s;
		} else if (!strcmp(s->key, key)) {
			return s;
		}
	}
}

int mb_names_get(const struct mb_names *n, const char *key)
{
	struct mb_name_slot *s;

	if (!n->cap)
		return -1;
	s = find(n, key, false);
	return s->key ? s->val : -1;
}

static void rehash(struct mb_names *n)
{
	struct mb_names old = *n;
	size_t i, live = 0;

	for (i = 0; i < old.cap; i++)
		live += old.slot[i].key && old.slot[i].key != &removed;
	/* room for twice the live names: removed slots do not make it grow */
	for (n->cap = 16; n->cap < 4 * (live + 1); n->cap *= 2)
		;
	n->slot = xcalloc(n->cap, sizeof(*n->slot), "growing a name table");
	n->used = 0;
	for (i = 0; i < old.cap; i++) {
		if (old.slot[i].key && old.slot[i].key != &removed) {
			*find(n, old.slot[i].key, true) = old.slot[i];
			n->used++;
		}
	}
	free(old.slot);
}

void mb_names_put(struct mb_names *n, const char *key, int val)
{
	struct mb_name_slot *s;

	if (2 * (n->used + 1) > n->cap)
		rehash(n);
	s = find(n, key, true);
	if (!s->key || s->key == &removed) {
		if (!s->key)
			n->used++;
		s->key = xstrdup(key, "adding a name");
	}
	s->val = val;
}

void mb_names_del(struct mb_names *n, const char *key)
{
	struct mb_name_slot *s;

	if (!n->cap)
		return;
	s = find(n, key, false);
	if (s->key) {
		free(s->key);
		s->key = &removed;
	}
}

void mb_names_free(struct mb_names *n)
{
	size_t i;

	for (i = 0; i < n->cap; i++)
		if (n->slot[i].key != &removed)
			free(n->slot[i].key);
	free(n->slot);
	n->slot = NULL;
	n->cap = n->used = 0;
}
