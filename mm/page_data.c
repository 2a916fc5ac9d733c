/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page contents. Only pages whose bytes differ from one another have a
 * buffer: a page that reads as zeroes (slot 0) or as one repeated byte (a
 * uniform slot: what `fill=` patterns write) stores nothing, so a machine of
 * many GiB, or a GiB of filled file, costs next to nothing on the host.
 */
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/mm.h"

#define UNIFORM_SLOT 0x80000000u	/* | the byte: every byte of the page is that byte */

static bool slot_uniform(uint32_t slot) { return slot & UNIFORM_SLOT; }

/* One shared read-only image per byte value, made on first read. */
static const uint8_t *uniform_image(struct machine *m, uint8_t b)
{
	if (!m->uniform[b]) {
		m->uniform[b] = xmalloc(PAGE_SIZE, "page contents");
		memset(m->uniform[b], b, PAGE_SIZE);
	}
	return m->uniform[b];
}

const uint8_t *page_data(struct machine *m, struct page *page)
{
	if (slot_uniform(page->data_slot))
		return uniform_image(m, (uint8_t)page->data_slot);
	return page->data_slot ? m->data[page->data_slot] : NULL;
}

/* Copy len bytes at off out of the page (a uniform page needs no image). */
void page_data_get(struct machine *m, struct page *page, size_t off, uint8_t *buf, size_t len)
{
	if (!page->data_slot || slot_uniform(page->data_slot))
		memset(buf, (uint8_t)page->data_slot, len);
	else
		memcpy(buf, m->data[page->data_slot] + off, len);
}

static bool bytes_uniform(const uint8_t *buf, size_t len)
{
	return len <= 1 || (buf[0] == buf[len - 1] && !memcmp(buf, buf + 1, len - 1));
}

/* What every byte of the page is, or -1 when they differ. */
int page_data_byte(const struct page *page)
{
	if (!page->data_slot)
		return 0;
	return slot_uniform(page->data_slot) ? (uint8_t)page->data_slot : -1;
}

static void set_uniform(struct machine *m, struct page *page, uint8_t b)
{
	page_data_release(m, page);
	page->data_slot = b ? UNIFORM_SLOT | b : 0;
}

void page_data_fill(struct machine *m, struct page *page, uint8_t b)
{
	set_uniform(m, page, b);
}

uint8_t *page_data_w(struct machine *m, struct page *page)
{
	int b = page_data_byte(page);
	uint32_t slot;
	uint8_t *buf;

	if (b < 0)
		return m->data[page->data_slot];
	buf = xmalloc(PAGE_SIZE, "page contents");
	memset(buf, b, PAGE_SIZE);
	if (m->nr_free_slots) {
		slot = m->free_slots[--m->nr_free_slots];
	} else {
		uint32_t cap = m->cap_data;
		slot = m->nr_data;
		ARRAY_PUSH(m->data, m->nr_data, m->cap_data, NULL, "page contents");
		if (m->cap_data != cap)
			m->free_slots = xrealloc_array(m->free_slots, m->cap_data, sizeof(*m->free_slots),
						       "page contents");
	}
	m->data[slot] = buf;
	page->data_slot = slot;
	return buf;
}

/* Store len bytes at off; a page that ends up uniform gives its buffer back. */
void page_data_set(struct machine *m, struct page *page, size_t off, const uint8_t *buf, size_t len)
{
	int b = page_data_byte(page);
	uint8_t *d;

	if (!len)
		return;
	if (len == PAGE_SIZE && bytes_uniform(buf, len)) {
		set_uniform(m, page, buf[0]);
		return;
	}
	if (b >= 0 && buf[0] == b && bytes_uniform(buf, len))
		return;	/* no byte changes */
	d = page_data_w(m, page);
	memcpy(d + off, buf, len);
	if (len > 1 && bytes_uniform(d, PAGE_SIZE))
		set_uniform(m, page, d[0]);
}

/* page_data_set of len bytes of value b (a fill pattern): no buffer to build or scan. */
void page_data_set_byte(struct machine *m, struct page *page, size_t off, uint8_t b, size_t len)
{
	uint8_t *d;

	if (len == PAGE_SIZE) {
		set_uniform(m, page, b);
		return;
	}
	if (!len || page_data_byte(page) == b)
		return;	/* no byte changes */
	d = page_data_w(m, page);
	memset(d + off, b, len);
	if (bytes_uniform(d, PAGE_SIZE))
		set_uniform(m, page, d[0]);
}

/* Every byte of [off, off + len) is b. */
bool page_data_is_byte(struct machine *m, struct page *page, size_t off, uint8_t b, size_t len)
{
	int pb = page_data_byte(page);

	if (pb >= 0)
		return pb == b;
	return !memcmp(m->data[page->data_slot] + off, uniform_image(m, b), len);
}

void page_data_release(struct machine *m, struct page *page)
{
	if (page_data_byte(page) < 0) {
		free(m->data[page->data_slot]);
		m->data[page->data_slot] = NULL;
		m->free_slots[m->nr_free_slots++] = page->data_slot;
	}
	page->data_slot = 0;
}

void page_data_copy(struct machine *m, struct page *dst, struct page *src)
{
	int b = page_data_byte(src);

	if (b >= 0) {
		set_uniform(m, dst, (uint8_t)b);
		return;
	}
	memcpy(page_data_w(m, dst), m->data[src->data_slot], PAGE_SIZE);
}
