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

#include "text.h"

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
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
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
	if (v && !(v & ((1ull << 30) - 1)))
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

static const char *const fs_names[] = { "disk", "tmpfs", "hugetlbfs", "pmem-xfs", "pmem-xfs-normap",
					"pmem-ext4" };

void mf_fmt_pageref(struct sbuf *b, const struct mf_pageref *r)
{
	switch (r->kind) {
	case MF_PREF_TASK:
		sb_printf(b, "%s:%s+0x%llx", r->task, r->addr.region,
			  (unsigned long long)r->addr.off);
		break;
	case MF_PREF_FILE:
		sb_printf(b, "file %s:%s+0x%llx", fs_names[r->fs], r->file,
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

static void addr(struct sbuf *b, const struct mf_addr *a)
{
	sb_printf(b, " %s+0x%llx", a->region, (unsigned long long)a->off);
}

static void size(struct sbuf *b, uint64_t v)
{
	char s[32];

	sb_printf(b, " %s", mf_fmt_size(s, sizeof(s), v));
}

static void pattern(struct sbuf *b, const char *pre, const struct mf_pattern *p)
{
	if (p->kind == MF_PAT_INDEX)
		sb_printf(b, "%sindex", pre);
	else if (p->kind == MF_PAT_BYTE)
		sb_printf(b, "%s0x%02x", pre, p->byte);
}

static const char *const op_names[MF_OP__COUNT] = {
	[MF_OP_FILE] = "file", [MF_OP_TASK] = "task", [MF_OP_THREAD] = "thread",
	[MF_OP_SYSCTL] = "sysctl", [MF_OP_MMAP] = "mmap", [MF_OP_MUNMAP] = "munmap",
	[MF_OP_MLOCK] = "mlock", [MF_OP_MUNLOCK] = "munlock", [MF_OP_MADVISE] = "madvise",
	[MF_OP_LOAD] = "load", [MF_OP_STORE] = "store", [MF_OP_FILL] = "fill",
	[MF_OP_CHECK] = "check", [MF_OP_PRCTL_MCE_KILL] = "prctl mce_kill",
	[MF_OP_PRCTL_MCE_KILL_GET] = "prctl mce_kill_get", [MF_OP_EXIT] = "exit",
	[MF_OP_PIN] = "pin", [MF_OP_UNPIN] = "unpin",
	[MF_OP_OPEN] = "open", [MF_OP_READ] = "read", [MF_OP_WRITE] = "write",
	[MF_OP_FSYNC] = "fsync", [MF_OP_FDATASYNC] = "fdatasync", [MF_OP_MSYNC] = "msync",
	[MF_OP_FTRUNCATE] = "ftruncate", [MF_OP_PUNCH] = "punch", [MF_OP_CLOSE] = "close",
	[MF_OP_UNLINK] = "unlink", [MF_OP_CORRUPT_PFN] = "corrupt-pfn",
	[MF_OP_UNPOISON] = "unpoison", [MF_OP_HARD_OFFLINE] = "hard-offline",
	[MF_OP_SOFT_OFFLINE] = "soft-offline", [MF_OP_FILTER_ENABLE] = "filter enable",
	[MF_OP_FILTER_DISABLE] = "filter disable", [MF_OP_MCE_SRAO] = "mce srao",
	[MF_OP_MCE_SRAR] = "mce srar", [MF_OP_SYNC] = "sync",
	[MF_OP_DROP_CACHES] = "drop_caches", [MF_OP_RECLAIM] = "reclaim",
	[MF_OP_LABEL] = "label", [MF_OP_REFLINK] = "reflink", [MF_OP_KSM_SCAN] = "ksm-scan",
};

const char *mf_op_name(enum mf_op op)
{
	return op >= 0 && op < MF_OP__COUNT && op_names[op] ? op_names[op] : "?";
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

static const char *const madv_names[] = { "hwpoison", "soft_offline", "hugepage",
					  "nohugepage", "dontneed", "pageout", "willneed",
					  "collapse", "mergeable", "unmergeable" };
static const char *const kill_names[] = { "early", "late", "clear" };
static const char *const state_names[] = { "synced", "dirty", "hole", "uncached" };

static void mmap_text(struct sbuf *b, const struct mf_stmt *st)
{
	char s[32];

	sb_printf(b, " %s", st->name);
	switch (st->mkind) {
	case MF_MAP_ANON: sb_printf(b, " anon"); break;
	case MF_MAP_FILE: sb_printf(b, " file %s:%s", fs_names[st->fs], st->file); break;
	case MF_MAP_FD: sb_printf(b, " fd %s", st->fd); break;
	case MF_MAP_SYSV: sb_printf(b, " sysv"); break;
	}
	if (st->mkind != MF_MAP_SYSV)
		sb_printf(b, " %s", st->shared ? "shared" : "private");
	size(b, st->size);
	if (st->offset)
		sb_printf(b, " offset=%s", mf_fmt_size(s, sizeof(s), st->offset));
	if (st->ro)
		sb_printf(b, " ro");
	if (st->populate)
		sb_printf(b, " populate");
	if (st->locked)
		sb_printf(b, " locked");
	if (st->hugetlb)
		sb_printf(b, " hugetlb");
	if (st->thp)
		sb_printf(b, " thp");
	pattern(b, " fill=", &st->pat);
}

static void step_text(struct sbuf *b, const struct mf_stmt *st)
{
	const char *op = mf_op_name(st->op);

	sb_printf(b, "%s", op);
	switch (st->op) {
	case MF_OP_FILE:
	{
		char s[32];

		sb_printf(b, " %s:%s size=%s", fs_names[st->fs], st->file,
			  mf_fmt_size(s, sizeof(s), st->size));
	}
		pattern(b, " fill=", &st->pat);
		sb_printf(b, " %s", state_names[st->fstate]);
		if (st->aligned)
			sb_printf(b, " aligned");
		break;
	case MF_OP_TASK:
		sb_printf(b, " %s", st->task);
		if (st->parent[0])
			sb_printf(b, " fork %s", st->parent);
		if (st->sigbus_default)
			sb_printf(b, " sigbus=default");
		break;
	case MF_OP_THREAD: sb_printf(b, " %s.%s", st->task, st->thread); break;
	case MF_OP_SYSCTL: sb_printf(b, " %s=%s", st->sysctl_key, st->sysctl_val); break;
	case MF_OP_MMAP: mmap_text(b, st); break;
	case MF_OP_MUNMAP: sb_printf(b, " %s", st->name); break;
	case MF_OP_MLOCK: case MF_OP_MUNLOCK: case MF_OP_PIN:
		addr(b, &st->addr);
		size(b, st->size);
		break;
	case MF_OP_MADVISE:
		addr(b, &st->addr);
		size(b, st->size);
		sb_printf(b, " %s", madv_names[st->madv]);
		break;
	case MF_OP_LOAD: addr(b, &st->addr); break;
	case MF_OP_STORE: addr(b, &st->addr); sb_printf(b, " 0x%02x", st->byte); break;
	case MF_OP_FILL: case MF_OP_CHECK:
		addr(b, &st->addr);
		size(b, st->size);
		pattern(b, " ", &st->pat);
		break;
	case MF_OP_PRCTL_MCE_KILL: sb_printf(b, " %s", kill_names[st->mce_kill]); break;
	case MF_OP_OPEN:
		sb_printf(b, " %s %s:%s %s", st->fd, fs_names[st->fs], st->file,
			  st->rw ? "rw" : "ro");
		break;
	case MF_OP_READ: case MF_OP_WRITE: case MF_OP_PUNCH:
		sb_printf(b, " %s", st->fd);
		size(b, st->offset);
		size(b, st->size);
		if (st->op == MF_OP_WRITE)
			pattern(b, " fill=", &st->pat);
		break;
	case MF_OP_FSYNC: case MF_OP_FDATASYNC: case MF_OP_CLOSE:
		sb_printf(b, " %s", st->fd);
		break;
	case MF_OP_FTRUNCATE: sb_printf(b, " %s", st->fd); size(b, st->size); break;
	case MF_OP_MSYNC: sb_printf(b, " %s", st->name); size(b, st->size); break;
	case MF_OP_UNLINK: sb_printf(b, " %s:%s", fs_names[st->fs], st->file); break;
	case MF_OP_CORRUPT_PFN: case MF_OP_UNPOISON: case MF_OP_HARD_OFFLINE:
	case MF_OP_SOFT_OFFLINE: case MF_OP_MCE_SRAO: case MF_OP_MCE_SRAR:
	case MF_OP_RECLAIM:
		sb_printf(b, " ");
		mf_fmt_pageref(b, &st->ref);
		break;
	case MF_OP_FILTER_ENABLE:
		sb_printf(b, " flags-mask=0x%llx flags-value=0x%llx",
			  (unsigned long long)st->flags_mask, (unsigned long long)st->flags_value);
		break;
	case MF_OP_DROP_CACHES: sb_printf(b, " %d", st->drop_caches); break;
	case MF_OP_REFLINK:
		sb_printf(b, " %s:%s %s:%s", fs_names[st->fs], st->file, fs_names[st->fs], st->file2);
		if (st->size) {
			char s1[32], s2[32], s3[32];

			sb_printf(b, " %s %s %s", mf_fmt_size(s1, sizeof(s1), st->offset),
				  mf_fmt_size(s2, sizeof(s2), st->size),
				  mf_fmt_size(s3, sizeof(s3), st->offset2));
		}
		break;
	case MF_OP_LABEL:
		sb_printf(b, " %s = ", st->name);
		mf_fmt_pageref(b, &st->ref);
		break;
	default:
		break;
	}
	if (st->as[0])
		sb_printf(b, " as %s", st->as);
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
	const struct mf_expect *e = &st->expect;
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
	}
}

const char *mf_stmt_canonical(const struct mf_stmt *st, char *buf, size_t len)
{
	struct sbuf b = { 0 };

	if (st->is_expect) {
		sb_printf(&b, "expect ");
		mf_fmt_expect(&b, st);
	} else {
		if (st->op >= MF_OP_MMAP && st->op <= MF_OP_UNLINK)
			sb_printf(&b, "%s%s%s: ", st->task, st->thread[0] ? "." : "", st->thread);
		step_text(&b, st);
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
