/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A u64 -> u64 hash map with open addressing (lib/u64map.c): the page
 * tables' index of their PTE tables (memfail/pgtable.h) and other sparse
 * indexes.
 */
#ifndef MEMFAIL_U64MAP_H
#define MEMFAIL_U64MAP_H

#include <stdbool.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys, *vals;
	uint64_t cap, nr, tomb;
};

void u64map_init(struct u64map *mp);
void u64map_free(struct u64map *mp);
/* Insert or replace. Growing the table follows the one OOM policy (mf_oom). */
void u64map_put(struct u64map *mp, uint64_t key, uint64_t val);
bool u64map_del(struct u64map *mp, uint64_t key);
uint64_t *u64map_slot(const struct u64map *mp, uint64_t key);	/* value pointer or NULL */
/* Slot i (0 <= i < cap) holds a key: *key. For walks of a sparse map in no order. */
bool u64map_key_at(const struct u64map *mp, uint64_t i, uint64_t *key);

#endif
