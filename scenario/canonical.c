/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Canonical statement text (spec section 9): the same bytes for the same
 * statement whatever its spelling, so that traces of both back ends compare.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "stmt.h"

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc_array(b->s, b->cap, 1, "formatting text");
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

void sb_free(struct sbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

const char *mf_fmt_size(char *buf, size_t len, uint64_t v)
{
	if (v && !(v & ((1ull << 40) - 1)))
		snprintf(buf, len, "%lluT", (unsigned long long)(v >> 40));
	else if (v && !(v & ((1ull << 30) - 1)))
		snprintf(buf, len, "%lluG", (unsigned long long)(v >> 30));
	else if (v && !(v & ((1ull << 20) - 1)))
		snprintf(buf, len, "%lluM", (unsigned long long)(v >> 20));
	else if (v && !(v & 1023))
		snprintf(buf, len, "%lluK", (unsigned long long)(v >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

const char *mf_fmt_delta(char *buf, size_t len, int64_t v)
{
	char s[24];

	mf_fmt_size(s, sizeof(s), v < 0 ? -(uint64_t)v : (uint64_t)v);
	snprintf(buf, len, "%c%s", v < 0 ? '-' : '+', s);
	return buf;
}

void mf_fmt_pageref(struct sbuf *b, const struct mf_pageref *r)
{
	switch (r->kind) {
	case MF_PREF_TASK:
		sb_printf(b, "%s:%s+0x%llx", r->task, r->addr.region,
			  (unsigned long long)r->addr.off);
		break;
	case MF_PREF_FILE:
		sb_printf(b, "file %s:%s+0x%llx", mf_fs_names[r->fs], r->file,
			  (unsigned long long)r->file_off);
		break;
	case MF_PREF_FREE: sb_printf(b, "free"); break;
	case MF_PREF_FREE_HUGE: sb_printf(b, "free-huge"); break;
	case MF_PREF_KERNEL: sb_printf(b, "kernel"); break;
	case MF_PREF_SLAB: sb_printf(b, "slab"); break;
	case MF_PREF_METADATA: sb_printf(b, "metadata"); break;
	case MF_PREF_METADATA_BUSY: sb_printf(b, "metadata-busy"); break;
	case MF_PREF_LABEL: sb_printf(b, "%s", r->label); break;
	case MF_PREF_PMEM: sb_printf(b, "pmem+0x%llx", (unsigned long long)r->file_off); break;
	}
}

/* page-types names of the /proc/kpageflags bits, kernel-internal ones (32..) included */
static const char *const kpf_names[] = {
	"locked", "error", "referenced", "uptodate", "dirty", "lru", "active", "slab",
	"writeback", "reclaim", "buddy", "mmap", "anon", "swapcache", "swapbacked",
	"compound_head", "compound_tail", "huge", "unevictable", "hwpoison", "nopage", "ksm",
	"thp", "offline", "zero_page", "idle", "pgtable", NULL, NULL, NULL, NULL, NULL,
	"reserved", "mlocked", "mappedtodisk", "private", "private_2", "owner_private", "arch",
	"uncached", "softdirty", "arch_2",
};

const char *mf_kpf_name(int bit)
{
	return bit >= 0 && bit < (int)(sizeof(kpf_names) / sizeof(kpf_names[0])) ? kpf_names[bit] : NULL;
}

int mf_kpf_bit(const char *name)
{
	for (size_t i = 0; i < sizeof(kpf_names) / sizeof(kpf_names[0]); i++)
		if (kpf_names[i] && !strcmp(name, kpf_names[i]))
			return (int)i;
	return -1;
}

static void sig_text(struct sbuf *b, const char *sig, const char *code, bool has_addr,
		     const struct mf_addr *a, bool has_lsb, int lsb)
{
	sb_printf(b, "%s %s", sig, code);
	if (has_addr)
		sb_printf(b, " addr=%s+0x%llx", a->region, (unsigned long long)a->off);
	if (has_lsb)
		sb_printf(b, " lsb=%d", lsb);
}

/* The expectation without "expect ": used in failure messages. */
void mf_fmt_expect(struct sbuf *b, const struct mf_stmt *st)
{
	const struct mf_expect *e = st->expect;
	char s[32];

	switch (e->kind) {
	case MF_EXPECT_SIGNALS:
		sb_printf(b, "%s%s%s signals", e->task, e->thread[0] ? "." : "", e->thread);
		if (!e->nsig)
			sb_printf(b, " none");
		for (int i = 0; i < e->nsig; i++) {
			const struct mf_expsig *g = &e->sig[i];

			sb_printf(b, i ? ", " : " ");
			sig_text(b, g->signame, g->code, g->has_addr, &g->addr, g->has_lsb,
				 g->lsb);
		}
		break;
	case MF_EXPECT_ALIVE: sb_printf(b, "%s alive", e->task); break;
	case MF_EXPECT_KILLED: sb_printf(b, "%s killed %s", e->task, e->signame); break;
	case MF_EXPECT_EXITED:
		sb_printf(b, "%s exited", e->task);
		if (e->has_exit_code)
			sb_printf(b, " %d", e->exit_code);
		break;
	case MF_EXPECT_LOG: case MF_EXPECT_NO_LOG:
		sb_printf(b, "%s \"", e->kind == MF_EXPECT_LOG ? "log" : "no-log");
		for (const char *c = e->log; c && *c; c++) {
			if (*c == '\n')
				sb_printf(b, "\\n");
			else if (*c == '"' || *c == '\\')
				sb_printf(b, "\\%c", *c);
			else
				sb_printf(b, "%c", *c);
		}
		sb_printf(b, "\"");
		break;
	case MF_EXPECT_HWCORRUPT:
		sb_printf(b, "hardware-corrupted %s", mf_fmt_delta(s, sizeof(s),
								   e->hwcorrupt_bytes));
		break;
	case MF_EXPECT_PAGE:
		sb_printf(b, "page ");
		mf_fmt_pageref(b, &e->ref);
		for (int i = 0; i < e->nflags; i++)
			sb_printf(b, " %s%s", e->flag_set[i] ? "" : "!", kpf_names[e->flag_bit[i]]);
		break;
	case MF_EXPECT_IS: case MF_EXPECT_IS_NOT:
		mf_fmt_pageref(b, &e->ref);
		sb_printf(b, " %s ", e->kind == MF_EXPECT_IS ? "is" : "is-not");
		mf_fmt_pageref(b, &e->rhs);
		break;
	case MF_EXPECT_HUGEPAGES:
		sb_printf(b, "hugepages");
		if (e->has_free)
			sb_printf(b, " free=%ld", e->hp_free);
		if (e->has_total)
			sb_printf(b, " total=%ld", e->hp_total);
		break;
	case MF_EXPECT_MF_STATS:
		sb_printf(b, "memory-failure-stats node=%d", e->mfs_node);
		for (int i = 0; i < MF_STAT_NR; i++)
			if (e->mfs_mask & (1u << i))
				sb_printf(b, " %s=+%llu", mf_stat_names[i],
					  (unsigned long long)e->mfs_delta[i]);
		break;
	}
}

const char *mf_stmt_canonical(const struct mf_stmt *st, char *buf, size_t len)
{
	struct sbuf b = { 0 };

	if (st->is_expect) {
		sb_printf(&b, "expect ");
		mf_fmt_expect(&b, st);
	} else {
		const struct stmt_kind *k = &stmt_kinds[st->op];

		if (k->cls == MF_CLASS_TASK)
			sb_printf(&b, "%s%s%s: ", st->task, st->thread[0] ? "." : "", st->thread);
		sb_printf(&b, "%s", k->name);
		k->print(&b, st);
		if (st->as[0])
			sb_printf(&b, " as %s", st->as);
	}
	snprintf(buf, len, "%s", b.s ? b.s : "");
	sb_free(&b);
	return buf;
}

/* ---- errno and signal names ---- */

static const struct {
	int err;
	const char *name;
} errnos[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EINTR, "EINTR" },
	{ EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" }, { EBADF, "EBADF" },
	{ ECHILD, "ECHILD" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
	{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
	{ EINVAL, "EINVAL" }, { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" }, { EFBIG, "EFBIG" },
	{ ENOSPC, "ENOSPC" }, { ESPIPE, "ESPIPE" }, { EROFS, "EROFS" }, { ERANGE, "ERANGE" },
	{ ENOSYS, "ENOSYS" }, { EOVERFLOW, "EOVERFLOW" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ ETXTBSY, "ETXTBSY" }, { EHWPOISON, "EHWPOISON" }, { ENOTSUP, "ENOTSUP" },
	{ EUCLEAN, "EUCLEAN" },	/* XFS's EFSCORRUPTED */
};

const char *mf_errno_name(int err, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err) {
			snprintf(buf, len, "%s", errnos[i].name);
			return buf;
		}
	snprintf(buf, len, "E%d", err);
	return buf;
}

const char *mf_signame(int signo, char *buf, size_t len)
{
	static const char *const n[] = { [6] = "SIGABRT", [7] = "SIGBUS", [9] = "SIGKILL",
					  [11] = "SIGSEGV", [15] = "SIGTERM" };

	if (signo > 0 && signo < 16 && n[signo])
		snprintf(buf, len, "%s", n[signo]);
	else
		snprintf(buf, len, "SIG%d", signo);
	return buf;
}

int mf_signo_of(const char *signame)
{
	for (int i = 1; i < 16; i++) {
		char b[16];

		if (!strcmp(mf_signame(i, b, sizeof(b)), signame))
			return i;
	}
	return -1;
}

static const struct {
	int signo, code;
	const char *shrt, *full;
} codes[] = {
	{ 7, 1, "ADRALN", "BUS_ADRALN" }, { 7, 2, "ADRERR", "BUS_ADRERR" },
	{ 7, 3, "OBJERR", "BUS_OBJERR" }, { 7, 4, "AR", "BUS_MCEERR_AR" },
	{ 7, 5, "AO", "BUS_MCEERR_AO" }, { 11, 1, "MAPERR", "SEGV_MAPERR" },
	{ 11, 2, "ACCERR", "SEGV_ACCERR" },
};

const char *mf_sicode_name(int signo, int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].signo == signo && codes[i].code == code)
			return codes[i].full;
	return NULL;
}

int mf_sicode_of(const char *signame, const char *code)
{
	int signo = mf_signo_of(signame);

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].signo == signo && !strcmp(codes[i].shrt, code))
			return codes[i].code;
	return -1;
}
