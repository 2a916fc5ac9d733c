/* SPDX-License-Identifier: GPL-2.0-only */
/* Private: text forms shared by the canonical printer and the driver. */
#ifndef MEMFAIL_SCENARIO_TEXT_H
#define MEMFAIL_SCENARIO_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "memfail/scenario.h"

/* A growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
};
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct sbuf *b);

/* Largest exact suffix: 4K, 2M, 1G, 1T, else bytes; 0 -> "0". */
const char *mf_fmt_size(char *buf, size_t len, uint64_t v);
/* Signed change for counters: "+4K", "-8K", "+0". */
const char *mf_fmt_delta(char *buf, size_t len, int64_t v);
void mf_fmt_pageref(struct sbuf *b, const struct mf_pageref *r);
void mf_fmt_expect(struct sbuf *b, const struct mf_stmt *st);
const char *mf_errno_name(int err, char *buf, size_t len);
const char *mf_signame(int signo, char *buf, size_t len);
/* Full si_code name ("BUS_MCEERR_AR"), or NULL. */
const char *mf_sicode_name(int signo, int code);
/* si_code of a short code name ("AR") for a signal name; -1 if unknown. */
int mf_sicode_of(const char *signame, const char *code);
int mf_signo_of(const char *signame);

#endif
