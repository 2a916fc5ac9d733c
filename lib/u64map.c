/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A u64 -> u64 hash map with open addressing. Page tables find their PTE
 * tables with it (mm/pgtable.c): lookups stay O(1) however many tasks and
 * mappings the machine has.
 */
#include <stdlib.h>

#include "memfail/array.h"
#include "memfail/u64map.h"

#define EMPTY UINT64_MAX
#define TOMB (UINT64_MAX - 1)

static uint64_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

void u64map_init(struct u64map *mp)
{
	mp->keys = mp->vals = NULL;
	mp->cap = mp->nr = mp->tomb = 0;
}

void u64map_free(struct u64map *mp)
{
	free(mp->keys);
	free(mp->vals);
	u64map_init(mp);
}

static uint64_t *slot_for(const struct u64map *mp, uint64_t key, bool for_insert)
{
	uint64_t mask = mp->cap - 1, i = hash64(key) & mask;
	uint64_t *first_tomb = NULL;

	for (;;) {
		uint64_t k = mp->keys[i];
		if (k == key)
			return &mp->keys[i];
		if (k == EMPTY)
			return for_insert ? (first_tomb ? first_tomb : &mp->keys[i]) : NULL;
		if (k == TOMB && !first_tomb)
			first_tomb = &mp->keys[i];
		i = (i + 1) & mask;
	}
}

static void grow(struct u64map *mp)
{
	struct u64map n;
	uint64_t i;

	n.cap = mp->cap ? mp->cap * 2 : 64;
	if (mp->nr * 4 < mp->cap)	/* mostly tombstones: rehash at the same size */
		n.cap = mp->cap;
	n.nr = n.tomb = 0;
	n.keys = xrealloc_array(NULL, n.cap, sizeof(uint64_t), "growing a page table");
	n.vals = xrealloc_array(NULL, n.cap, sizeof(uint64_t), "growing a page table");
	for (i = 0; i < n.cap; i++)
		n.keys[i] = EMPTY;
	for (i = 0; i < mp->cap; i++) {
		if (mp->keys[i] < TOMB) {
			uint64_t *s = slot_for(&n, mp->keys[i], true);
			*s = mp->keys[i];
			n.vals[s - n.keys] = mp->vals[i];
			n.nr++;
		}
	}
	free(mp->keys);
	free(mp->vals);
	*mp = n;
}

uint64_t *u64map_slot(const struct u64map *mp, uint64_t key)
{
	uint64_t *s;

	if (!mp->cap)
		return NULL;
	s = slot_for(mp, key, false);
	return s ? &mp->vals[s - mp->keys] : NULL;
}

void u64map_put(struct u64map *mp, uint64_t key, uint64_t val)
{
	uint64_t *s;

	if ((mp->nr + mp->tomb + 1) * 4 >= mp->cap * 3)
		grow(mp);
	s = slot_for(mp, key, true);
	if (*s != key) {
		if (*s == TOMB)
			mp->tomb--;
		*s = key;
		mp->nr++;
	}
	mp->vals[s - mp->keys] = val;
}

bool u64map_del(struct u64map *mp, uint64_t key)
{
	uint64_t *s;

	if (!mp->cap)
		return false;
	s = slot_for(mp, key, false);
	if (!s)
		return false;
	*s = TOMB;
	mp->nr--;
	mp->tomb++;
	return true;
}

bool u64map_key_at(const struct u64map *mp, uint64_t i, uint64_t *key)
{
	*key = mp->keys[i];
	return *key != EMPTY && *key != TOMB;
}
