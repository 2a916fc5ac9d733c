/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel log: a growing buffer of "<level>[seconds] text" lines, like
 * dmesg, stamped with the model's clock so runs are reproducible.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/mm.h"
#include "memfail/printk.h"

static void ring_reserve(struct printk_ring *r, size_t more)
{
	size_t cap = r->cap ? r->cap : 4096;

	if (r->len + more + 1 <= r->cap)
		return;
	while (cap < r->len + more + 1)
		cap *= 2;
	r->buf = xrealloc_array(r->buf, cap, 1, "appending to the kernel log");
	r->cap = cap;
}

void printk(struct machine *m, int level, const char *fmt, ...)
{
	struct printk_ring *r = &m->log;
	char text[512], head[48];
	va_list ap;
	int n, h;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	if (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	m->clock_ns += 1000;	/* one microsecond per message keeps timestamps ordered */
	h = snprintf(head, sizeof(head), "<%d>[%5llu.%06llu] ", level,
		     (unsigned long long)(m->clock_ns / 1000000000ULL),
		     (unsigned long long)(m->clock_ns % 1000000000ULL / 1000));
	ring_reserve(r, (size_t)h + (size_t)n + 1);
	memcpy(r->buf + r->len, head, (size_t)h);
	memcpy(r->buf + r->len + h, text, (size_t)n);
	r->len += (size_t)h + (size_t)n;
	r->buf[r->len++] = '\n';
	r->buf[r->len] = '\0';
	r->seq++;
}

/*
 * Next unread line's text (without level and timestamp), or NULL. The
 * returned pointer stays valid until the next printk.
 */
const char *printk_next_line(struct machine *m, int *level)
{
	static __thread char line[512];
	struct printk_ring *r = &m->log;
	const char *s, *e, *t;
	size_t n;

	if (r->read_pos >= r->len)
		return NULL;
	s = r->buf + r->read_pos;
	e = strchr(s, '\n');
	r->read_pos = (size_t)(e - r->buf) + 1;
	if (level)
		*level = s[1] - '0';
	t = strstr(s, "] ");
	t = t && t < e ? t + 2 : s;
	n = (size_t)(e - t);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, t, n);
	line[n] = '\0';
	return line;
}
