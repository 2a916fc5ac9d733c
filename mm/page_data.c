/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page contents. Only pages that were written have a buffer; all others read
 * as zeroes, so a machine of many GiB costs nothing until it is used.
 */
#include <stdlib.h>
#include <string.h>

#include "memfail/mm.h"

const uint8_t *page_data(struct machine *m, struct page *page)
{
	return page->data_slot ? m->data[page->data_slot] : NULL;
}

uint8_t *page_data_w(struct machine *m, struct page *page)
{
	uint32_t slot;
	uint8_t *buf;

	if (page->data_slot)
		return m->data[page->data_slot];
	buf = calloc(1, PAGE_SIZE);
	if (!buf)
		abort();	/* host out of memory: nothing sensible to model */
	if (m->nr_free_slots) {
		slot = m->free_slots[--m->nr_free_slots];
	} else {
		if (m->nr_data >= m->cap_data) {
			uint32_t cap = m->cap_data ? m->cap_data * 2 : 256;
			uint8_t **nd = realloc(m->data, cap * sizeof(*nd));
			uint32_t *nf = realloc(m->free_slots, cap * sizeof(*nf));
			if (!nd || !nf)
				abort();
			m->data = nd;
			m->free_slots = nf;
			m->cap_data = cap;
		}
		slot = m->nr_data++;
	}
	m->data[slot] = buf;
	page->data_slot = slot;
	return buf;
}

void page_data_release(struct machine *m, struct page *page)
{
	if (!page->data_slot)
		return;
	free(m->data[page->data_slot]);
	m->data[page->data_slot] = NULL;
	m->free_slots[m->nr_free_slots++] = page->data_slot;
	page->data_slot = 0;
}

void page_data_copy(struct machine *m, struct page *dst, struct page *src)
{
	const uint8_t *s = page_data(m, src);

	if (!s) {
		page_data_release(m, dst);
		return;
	}
	memcpy(page_data_w(m, dst), s, PAGE_SIZE);
}
