/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel/printk.c: the log ring, lines in the kernel's formats, and the
 * kernel's pr_* helpers. As in the kernel, a file that wants a prefix on all
 * its messages defines pr_fmt(fmt) before its first #include, e.g.
 *	#define pr_fmt(fmt) "Memory failure: " fmt
 */
#ifndef MEMFAIL_PRINTK_H
#define MEMFAIL_PRINTK_H

#include <stddef.h>
#include <stdint.h>

struct machine;
struct page;

#define KERN_ERR 3
#define KERN_WARNING 4
#define KERN_INFO 6

struct printk_ring {
	char *buf;			/* "<level>[timestamp] text\n" lines */
	size_t len, cap;
	uint64_t seq;			/* lines printed so far */
	size_t read_pos;		/* reader cursor for the back end */
};

void printk(struct machine *m, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *printk_next_line(struct machine *m, int *level); /* reader for the back end */

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_err(m, fmt, ...) printk(m, KERN_ERR, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(m, fmt, ...) printk(m, KERN_INFO, pr_fmt(fmt), ##__VA_ARGS__)

/*
 * lib/vsprintf.c, %pGp: "0x<flags>(name|name|node=N|zone=Z|lastcpupid=0x1fffff)"
 * as 6.1 prints a page's flags. Returns the length it needed, as snprintf.
 */
size_t page_flags_format(struct machine *m, const struct page *page, char *buf, size_t len);

#endif
